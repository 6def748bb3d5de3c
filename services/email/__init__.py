"""Email: outgoing mail, delivery status per address, the suppression list and verification codes."""
