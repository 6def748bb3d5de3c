"""Search: the read model behind the one search bar, rebuilt from identity's events."""
