"""Stands in for our own package: a broken reference in it must still warn."""
