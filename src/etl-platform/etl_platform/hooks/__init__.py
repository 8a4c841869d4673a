"""Hooks of the platform's own systems."""
