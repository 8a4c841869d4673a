"""Stands in for an upstream provider: its docstrings are written for Airflow's own docs build."""
