"""modules/output."""
