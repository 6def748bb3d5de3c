"""The Help Desk's services; none imports another, they share only `contracts`."""
