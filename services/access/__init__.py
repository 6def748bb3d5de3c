"""Access: customers' grants to their partner, temporary admin requests, sessions and the audit log."""
