"""modules/tool."""
