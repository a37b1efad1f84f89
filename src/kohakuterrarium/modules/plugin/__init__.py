"""modules/plugin."""
