"""``python -m airflow_catalog``: see :mod:`airflow_catalog.cli`."""

from airflow_catalog.cli import entry_point

if __name__ == "__main__":
    entry_point()
