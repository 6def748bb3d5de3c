"""The Help Desk agents' mix under load against the distributed deployment (`python -m bench.load --help`)."""
