"""The data platform's Airflow provider: ingest operators that archive, check and load data by policy."""

from __future__ import annotations

from importlib.metadata import version

#: The installed distribution's version, so that pyproject.toml stays its one source.
__version__ = version("etl-platform")
