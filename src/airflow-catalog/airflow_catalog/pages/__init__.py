"""The reStructuredText of every generated page; no Sphinx import."""
