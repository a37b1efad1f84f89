"""modules/trigger."""
