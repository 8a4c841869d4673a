"""Provider metadata that Airflow reads through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from etl_platform import __version__

_PLATFORM = "ETL platform archive"
_HTTP = "Hypertext Transfer Protocol (HTTP)"
_FTP = "File Transfer Protocol (FTP)"
_SQL = "Common SQL"
_QUALITY = "ETL platform data quality"
#: Files on the workers' own disks or on shares mounted there; no upstream provider declares them.
_FILES = "Local files"


def get_provider_info() -> dict[str, Any]:
    """Describe the provider to Airflow's providers manager.

    :returns: the provider's metadata in the shape of Airflow's ``provider_info.schema.json``.
    """
    return {
        "package-name": "etl-platform",
        "name": "ETL platform",
        "description": "The data platform's ingest, archive, load and data-quality operators.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": _PLATFORM,
                "external-doc-url": "https://github.com/example/etl-platform",
                "tags": ["software"],
            },
            {
                "integration-name": _QUALITY,
                "external-doc-url": "https://github.com/example/etl-platform",
                "tags": ["software"],
            },
            # [START local_files_integration]
            {
                "integration-name": _FILES,
                "external-doc-url": "https://docs.python.org/3/library/os.html#files-and-directories",
                "tags": ["software"],
            },
            # [END local_files_integration]
        ],
        "operators": [
            {"integration-name": _HTTP, "python-modules": ["etl_platform.operators.http"]},
            {"integration-name": _FTP, "python-modules": ["etl_platform.operators.ftp"]},
            # [START local_files_operators]
            {"integration-name": _FILES, "python-modules": ["etl_platform.operators.file"]},
            # [END local_files_operators]
            {"integration-name": _SQL, "python-modules": ["etl_platform.operators.sql"]},
            {
                "integration-name": _QUALITY,
                "python-modules": ["etl_platform.quality.completeness", "etl_platform.quality.drift"],
            },
        ],
        "sensors": [{"integration-name": _FTP, "python-modules": ["etl_platform.sensors.ftp"]}],
        "hooks": [
            {"integration-name": _PLATFORM, "python-modules": ["etl_platform.hooks.archive"]},
            # FtpArchiveHook adds stable-file detection to the ftp provider's hook and connection type,
            # which is why it is not among the connection types below.
            {"integration-name": _FTP, "python-modules": ["etl_platform.hooks.ftp"]},
        ],
        "transfers": [
            {
                "source-integration-name": _PLATFORM,
                "target-integration-name": _SQL,
                "python-module": "etl_platform.transfers.archive_to_sql",
            },
        ],
        "connection-types": [
            {
                "hook-class-name": "etl_platform.hooks.archive.ArchiveHook",
                "hook-name": "ETL archive",
                "connection-type": "etl_archive",
            }
        ],
    }
