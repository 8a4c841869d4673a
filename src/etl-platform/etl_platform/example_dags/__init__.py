"""Example DAGs, run in the tests and shown in the catalog."""
