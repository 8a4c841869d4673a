"""Sensors that wait for a source to be ready."""
