import json
import os
from pathlib import Path

import pytest

from etl_platform.hooks.archive import ArchiveHook


def test_connection_root_is_used(archive_root: Path) -> None:
    assert str(ArchiveHook().get_root()) == str(archive_root)


def test_without_a_default_connection_the_archive_is_a_local_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_ARCHIVE_DEFAULT", raising=False)
    assert str(ArchiveHook().get_root()) == os.path.join(os.environ["AIRFLOW_HOME"], "archive")


def test_a_named_connection_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Exception, match="isn't defined"):
        ArchiveHook(archive_conn_id="no_such_archive").get_root()


def test_a_connection_without_root_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_BARE", json.dumps({"conn_type": "etl_archive"}))
    with pytest.raises(ValueError, match=r"connection 'bare' has no 'root' in its extra field: set it to"):
        ArchiveHook(archive_conn_id="bare").get_root()
