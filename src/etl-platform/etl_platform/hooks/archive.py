"""The archive's connection: where the archive root is and which credentials reach it."""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import BaseHook, ObjectStoragePath
from airflow.sdk.exceptions import AirflowNotFoundException

from etl_platform.archive import Archive
from etl_platform.policy import ConfigurationError


class ArchiveHook(BaseHook):
    """Open the platform's archive from an ``etl_archive`` connection.

    The connection's extra field holds ``root``, any fsspec URL (``s3://bucket/archive``,
    ``file:///srv/archive``: any object-storage scheme of :ref:`the catalog's URI schemes
    <catalog:schemes>` whose provider is installed), and optionally ``storage_conn_id``, the
    connection whose credentials reach that storage (``aws_default`` for S3). Without a connection
    named ``archive_default`` the archive is the local folder ``$AIRFLOW_HOME/archive``.

    :param archive_conn_id: the ``etl_archive`` connection to read.
    """

    conn_name_attr = "archive_conn_id"
    default_conn_name = "archive_default"
    conn_type = "etl_archive"
    hook_name = "ETL archive"

    def __init__(self, *, archive_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.archive_conn_id = archive_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Show only the fields an archive connection uses.

        :returns: Airflow's field-behaviour mapping for the connection form.
        """
        return {
            "hidden_fields": ["host", "schema", "login", "password", "port"],
            "relabeling": {},
            "placeholders": {"extra": '{"root": "s3://bucket/archive", "storage_conn_id": "aws_default"}'},
        }

    def get_root(self) -> ObjectStoragePath:
        """Resolve the archive root from the connection.

        :raises ConfigurationError: when the connection has no ``root`` in its extra field (not retried: the
            connection must be fixed).
        :returns: the root as an :class:`~airflow.sdk.ObjectStoragePath`.
        """
        try:
            connection = self.get_connection(self.archive_conn_id)
        except AirflowNotFoundException:
            if self.archive_conn_id != self.default_conn_name:
                raise
            return ObjectStoragePath(os.path.join(os.environ.get("AIRFLOW_HOME", "~/airflow"), "archive"))
        extra = connection.extra_dejson
        root = extra.get("root")
        if not root:
            raise ConfigurationError(
                f"connection {self.archive_conn_id!r} has no 'root' in its extra field: "
                'set it to the archive\'s fsspec URL, e.g. {"root": "s3://bucket/archive"}'
            )
        return ObjectStoragePath(root, conn_id=extra.get("storage_conn_id"))

    def get_conn(self) -> Archive:
        """Open the archive.

        :returns: the :class:`~etl_platform.archive.Archive` at the connection's root.
        """
        return Archive(self.get_root())
