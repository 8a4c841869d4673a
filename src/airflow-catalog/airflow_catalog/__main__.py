"""``python -m airflow_catalog``: see :mod:`airflow_catalog.cli`."""

import os
import sys

from airflow_catalog.cli import main

if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # A large build leaves an interpreter whose teardown costs seconds (measured: 2-14 s) and does
    # nothing useful; every output file is closed by now.
    os._exit(status)
