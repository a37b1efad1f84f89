"""Serving adapters: thin, stable wrappers that drive an Agent from outside code."""
