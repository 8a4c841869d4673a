"""Transfers from the archive into other systems."""
