"""What changed between two catalogs, and each class's history across published versions."""
