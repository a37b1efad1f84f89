"""modules/input."""
