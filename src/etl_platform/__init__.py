"""The data platform's Airflow provider: ingest operators that archive, check and load data by policy."""

from __future__ import annotations

__version__ = "0.1.0"
