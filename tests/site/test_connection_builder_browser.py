"""The connection builder in a real headless Chromium, its outputs read back by Airflow's own parsers.

A small site catalogues our package and the http, ftp, postgres, sqlite and amazon (``base_aws``
only) providers; each test fills the builder on a connection type's page, reads the URI, the JSON and
the ``export AIRFLOW_CONN_…`` line, and hands them to ``Connection(uri=...)``,
``Connection.from_json`` and, through a real shell and the environment, ``BaseHook.get_connection``.
Every field must come back as typed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import BaseHook, Connection

pytestmark = pytest.mark.browser

PACKAGES = [
    "etl_platform",
    "odd_pkg",
    "airflow.providers.http",
    "airflow.providers.ftp",
    "airflow.providers.postgres",
    "airflow.providers.sqlite",
    "airflow.providers.amazon.aws.hooks.base_aws",
]
CONF = f"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # odd_pkg lives beside this file
extensions = ["airflow_catalog"]
catalog_packages = {PACKAGES!r}
catalog_own_packages = ["etl_platform"]
exclude_patterns = ["_build"]
html_theme = "sphinx_rtd_theme"
html_favicon = "favicon.svg"  # else the browser asks for /favicon.ico and logs the 404 as an error
"""
INDEX = """
Connections
===========

.. toctree::

   catalog/_generated/connections
   catalog/_generated/packages
"""
#: A hook whose form Airflow would ignore (misspelt key), with hostile labels and widgets built with
#: WTForms, which is not installed.
ODD_PKG = '''
from airflow.sdk import BaseHook

TRAP = "</script><script>alert('label')</script><img src=x onerror=alert(1)>"


class OddHook(BaseHook):
    """Reach the odd service.

    :param odd_conn_id: the connection.
    """

    conn_name_attr = "odd_conn_id"
    default_conn_name = "odd_default"
    conn_type = "odd_type"
    hook_name = "Odd"

    def __init__(self, *, odd_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.odd_conn_id = odd_conn_id

    @classmethod
    def get_ui_field_behaviour(cls):
        return {"hidden-fields": ["port"], "relabeling": {"login": TRAP}}

    @classmethod
    def get_connection_form_widgets(cls):
        from wtforms import StringField

        return {"trap": StringField(TRAP, description=TRAP)}
'''
#: Awkward on purpose: URI delimiters, spaces, non-ASCII, quotes a shell must keep.
PASSWORD = "p@ss:w/rd ü?#&='x"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("connections")
    (source / "conf.py").write_text(CONF, encoding="utf-8")
    (source / "index.rst").write_text(INDEX, encoding="utf-8")
    (source / "odd_pkg").mkdir()
    (source / "odd_pkg" / "__init__.py").write_text(ODD_PKG, encoding="utf-8")
    (source / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    html = source / "_build" / "html"
    process = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(source), str(html)],
        capture_output=True,
        text=True,
    )
    assert process.returncode == 0, process.stderr
    return html


def open_builder(page: Any, base: str, conn_type: str) -> None:
    page.goto(f"{base}catalog/_generated/connection-{conn_type}.html")
    page.wait_for_selector("[data-connection-builder] [data-output=uri]")


def fill(page: Any, conn_id: str, fields: dict[str, str], extra_fields: dict[str, str] | None = None) -> None:
    page.fill("[data-field=conn_id]", conn_id)
    for name, value in fields.items():
        page.fill(f"[data-field={name}]", value)
    for name, value in (extra_fields or {}).items():
        selector = f"[data-extra={name}]"
        if page.eval_on_selector(selector, "node => node.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def outputs(page: Any) -> dict[str, str]:
    return {name: page.text_content(f"[data-output={name}]") or "" for name in ("uri", "json", "env")}


def exported_value(line: str, variable: str) -> str:
    """Run the ``export`` line in a real shell and return what the variable holds."""
    process = subprocess.run(
        ["bash", "-c", f'{line}\nprintf %s "${variable}"'], capture_output=True, text=True, check=True
    )
    return process.stdout


def fields_of(connection: Any) -> dict[str, Any]:
    return {
        "conn_type": connection.conn_type,
        "host": connection.host,
        "schema": connection.schema,
        "login": connection.login,
        "password": connection.password,
        "port": connection.port,
        "extra": connection.extra_dejson,
    }


CASES = [
    pytest.param(
        "http",
        {
            "host": "api.example.com",
            "schema": "v1/orders x",
            "login": "ann@corp",
            "password": PASSWORD,
            "port": "8443",
        },
        {"srv_lookup": "true"},
        {"srv_lookup": True},
        id="http-boolean-extra-field",
    ),
    pytest.param(
        "http",
        {
            "host": "https://api.example.com",
            "login": "svc",
            "password": "a b",
            "extra": '{"timeout": "30", "verify": "no"}',
        },
        {},
        {"timeout": "30", "verify": "no"},
        id="http-protocol-in-host-flat-extra",
    ),
    pytest.param(
        "http",
        {"host": "http://Api.Example.com/base path", "login": "svc"},
        {},
        {},
        id="http-same-protocol-and-path-in-host",
    ),
    pytest.param(
        "ftp",
        {
            "host": "ftp.example.org",
            "login": "user name",
            "password": "s p/a:c@e",
            "port": "2121",
            "extra": '{"passive": "true"}',
        },
        {},
        {"passive": "true"},
        id="ftp-flat-extra",
    ),
    pytest.param(
        "postgres",
        {
            "host": "db.internal",
            "schema": "ana lytics/ü",
            "login": "etl",
            "password": PASSWORD,
            "port": "5432",
            "extra": '{"options": {"sslmode": "require", "app": "a&b=c"}, "tags": ["x", "y"], "n": 3}',
        },
        {},
        {"options": {"sslmode": "require", "app": "a&b=c"}, "tags": ["x", "y"], "n": 3},
        id="postgres-nested-extra",
    ),
    pytest.param(
        "sqlite",
        {"host": "/tmp/some dir/Data ü.sqlite"},
        {},
        {},
        id="sqlite-path-as-host",
    ),
    pytest.param(
        "aws",
        {
            "login": "AKIAEXAMPLE",
            "password": "wJalr/XUtn+FEMI:K7MDENG",
            "extra": '{"region_name": "eu-west-1", "config_kwargs": {"retries": {"max_attempts": 3}}}',
        },
        {},
        {"region_name": "eu-west-1", "config_kwargs": {"retries": {"max_attempts": 3}}},
        id="aws-hidden-host",
    ),
    pytest.param(
        "etl_archive",
        {"extra": '{"root": "s3://bucket/archive", "storage_conn_id": "aws_default"}'},
        {},
        {"root": "s3://bucket/archive", "storage_conn_id": "aws_default"},
        id="etl_archive-underscore-type",
    ),
    pytest.param(
        "postgres",
        {"port": "5432", "schema": "analytics"},
        {},
        {},
        # Airflow's own get_uri writes "postgres://@:5432/analytics", which reads back an empty login.
        id="postgres-port-without-host-or-login",
    ),
    pytest.param(
        "postgres",
        {"host": "db", "extra": '{"__extra__": "x", "sslmode": "require"}'},
        {},
        {"__extra__": "x", "sslmode": "require"},
        id="postgres-extra-key-named-__extra__",
    ),
]


@pytest.mark.parametrize(("conn_type", "fields", "extra_fields", "extra"), CASES)
def test_airflow_reads_back_every_field(
    site: Path,
    static_server: Callable[[Path], str],
    page: Any,
    monkeypatch: pytest.MonkeyPatch,
    conn_type: str,
    fields: dict[str, str],
    extra_fields: dict[str, str],
    extra: dict[str, Any],
) -> None:
    open_builder(page, static_server(site), conn_type)
    conn_id = f"built_{conn_type}"
    fill(page, conn_id, fields, extra_fields)
    assert page.text_content("[data-error]") == ""
    assert page.text_content("[data-uri-notes]") == ""  # nothing to warn of: the URI carries it all
    built = outputs(page)
    expected = {
        "conn_type": conn_type,
        "host": fields.get("host"),
        "schema": fields.get("schema"),
        "login": fields.get("login"),
        "password": fields.get("password"),
        "port": int(fields["port"]) if "port" in fields else None,
        "extra": extra,
    }

    # A URI cannot tell an absent host or schema from an empty one: Airflow reads both as "".
    from_uri = {"host": expected["host"] or "", "schema": expected["schema"] or ""}
    assert fields_of(Connection(conn_id=conn_id, uri=built["uri"])) == expected | from_uri
    assert fields_of(Connection.from_json(built["json"], conn_id=conn_id)) == expected
    variable = f"AIRFLOW_CONN_{conn_id.upper()}"
    assert built["env"].startswith(f"export {variable}=")
    monkeypatch.setenv(variable, exported_value(built["env"], variable))
    assert fields_of(BaseHook.get_connection(conn_id)) == expected


def test_hidden_and_relabelled_fields_follow_the_metadata(
    site: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    base = static_server(site)
    open_builder(page, base, "aws")
    shown = page.eval_on_selector_all("[data-field]", "nodes => nodes.map(n => n.dataset.field)")
    assert shown == ["conn_id", "login", "password", "extra"]  # host, schema and port are hidden
    labels = page.eval_on_selector_all(".ccb-row label", "nodes => nodes.map(n => n.textContent)")
    assert labels == ["Connection id", "AWS Access Key ID", "AWS Secret Access Key", "Extra (JSON object)"]
    assert page.get_attribute("[data-field=login]", "placeholder") == "YOUR_AWS_ACCESS_KEY_ID"
    assert page.input_value("[data-field=conn_id]") == "aws_default"

    page.check("[data-reveal]")
    assert page.get_attribute("[data-field=password]", "type") == "text"

    open_builder(page, base, "postgres")
    assert page.text_content("label[for='ccb-postgres-schema']") == "Database"


def test_the_page_lists_each_parameter_that_takes_the_connection(
    site: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    open_builder(page, static_server(site), "http")
    rows = page.eval_on_selector_all(
        "table.catalog-list tbody tr",
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim())).filter(r => r.length == 4)",
    )
    assert ["HttpToArchiveOperator", "transfer", "http_conn_id", "http_default"] in rows
    assert ["HttpOperator", "operator", "http_conn_id", "http_default"] in rows
    assert ["HttpHook", "hook", "http_conn_id", "http_default"] in rows


def test_a_database_page_lists_the_classes_that_take_any_sql_connection(
    site: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    # common.sql is not catalogued here: the group still comes from PostgresHook's ancestry and from
    # our operators that use DbApiHook, and names DbApiHook without a link.
    open_builder(page, static_server(site), "postgres")
    assert page.is_visible("text=Also works with any DbApiHook connection")
    rows = page.eval_on_selector_all(
        "table.catalog-generic-connections tbody tr",
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))",
    )
    assert ["ArchiveToSqlOperator", "transfer", "conn_id", "sqlite_default"] in rows
    assert ["CompletenessCheckOperator", "operator", "conn_id", "required"] in rows
    assert not [row for row in rows if row[2] == "archive_conn_id"]
    open_builder(page, static_server(site), "http")
    assert page.query_selector("table.catalog-generic-connections") is None


def test_a_form_airflow_ignores_is_explained_and_hostile_labels_stay_text(
    site: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    opened: list[str] = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    open_builder(page, static_server(site), "odd_type")
    problems = page.text_content(".ccb-problems") or ""
    assert "OddHook.get_ui_field_behaviour() is not valid, so Airflow ignores all of it" in problems
    assert "'hidden_fields' is a required property" in problems
    # Ignored as Airflow ignores it: the port stays, the login keeps its own label.
    assert page.query_selector("[data-field=port]") is not None
    assert page.text_content("label[for='ccb-odd_type-login']") == "Login"
    trap = "</script><script>alert('label')</script><img src=x onerror=alert(1)>"
    assert page.text_content("label[for='ccb-odd_type-x-trap']") == trap
    assert page.text_content("[data-extra=trap] + .ccb-help") == trap
    assert page.query_selector(".catalog-connection-builder img") is None and opened == []
    page.fill("[data-extra=trap]", "t")
    assert outputs(page)["uri"] == "odd-type:///?trap=t"


def test_bad_input_names_the_field_and_writes_nothing(
    site: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    open_builder(page, static_server(site), "postgres")
    page.fill("[data-field=host]", "db")
    page.fill("[data-field=port]", "54a")
    assert page.text_content("[data-error]") == "Port must be a whole number from 1 to 65535, not “54a”"
    assert outputs(page) == {"uri": "", "json": "", "env": ""}

    page.fill("[data-field=port]", "5432")
    page.fill("[data-field=extra]", "[1, 2]")
    assert page.text_content("[data-error]") == 'Extra must be a JSON object, such as {"timeout": 30}'
    page.fill("[data-field=extra]", '{"a": ')
    assert (page.text_content("[data-error]") or "").startswith("Extra is not valid JSON")
    assert outputs(page)["uri"] == ""

    page.fill("[data-field=extra]", "")
    page.fill("[data-field=conn_id]", "my-db")
    built = outputs(page)
    assert built["uri"] == "postgres://db:5432" and built["env"] == ""
    assert "letters, digits and underscores only" in (page.text_content("[data-notes]") or "")


def test_a_host_the_uri_cannot_keep_is_flagged(
    site: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    open_builder(page, static_server(site), "http")
    fill(page, "mixed_case", {"host": "API.Example.com"})
    built = outputs(page)
    assert uri_notes(page) == [
        "This URI loses the capitals of the host: Airflow reads “API.Example.com” back as “api.example.com”. "
        "Use the JSON form or the environment variable, which keep it as typed."
    ]
    # What the note warns of, and what the JSON form keeps.
    assert Connection(conn_id="x", uri=built["uri"]).host == "api.example.com"
    assert Connection.from_json(built["json"], conn_id="x").host == "API.Example.com"


def uri_notes(page: Any) -> list[str]:
    """The notes shown in the URI's own box (the one that holds ``[data-output=uri]``)."""
    return page.eval_on_selector_all(
        ".ccb-output:has([data-output=uri]) [data-uri-notes] li", "items => items.map(i => i.textContent)"
    )


LOGINLESS = (
    "This URI cannot carry a password without a login: Airflow reads the login back as empty (“”), "
    "not as unset. Use the JSON form or the environment variable, which leave the login out."
)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"host": "db", "password": PASSWORD}, id="host-and-password"),
        pytest.param({"password": "pw", "port": "5432"}, id="password-and-port"),
        pytest.param({"password": "pw"}, id="password-only"),
    ],
)
def test_a_password_without_login_is_flagged_beside_the_uri(
    site: Path,
    static_server: Callable[[Path], str],
    page: Any,
    monkeypatch: pytest.MonkeyPatch,
    fields: dict[str, str],
) -> None:
    open_builder(page, static_server(site), "postgres")
    fill(page, "loginless", fields)
    assert uri_notes(page) == [LOGINLESS]
    assert "ccb-lossy" in (page.get_attribute(".ccb-output:has([data-output=uri])", "class") or "")
    assert page.text_content("[data-notes]") == ""  # the other notes are about other outputs
    built = outputs(page)
    # What the note warns of, and what the forms it points at keep.
    assert Connection(conn_id="loginless", uri=built["uri"]).login == ""
    assert Connection.from_json(built["json"], conn_id="loginless").login is None
    monkeypatch.setenv("AIRFLOW_CONN_LOGINLESS", exported_value(built["env"], "AIRFLOW_CONN_LOGINLESS"))
    read = BaseHook.get_connection("loginless")
    assert read.login is None and read.password == fields["password"]

    # Give it a login and the note goes, the URI now carrying every field.
    page.fill("[data-field=login]", "etl")
    assert uri_notes(page) == []
    assert "ccb-lossy" not in (page.get_attribute(".ccb-output:has([data-output=uri])", "class") or "")
    assert Connection(conn_id="x", uri=outputs(page)["uri"]).login == "etl"


def test_every_mix_of_fields_reads_back_from_the_uri_or_is_flagged(
    site: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    # All 64 mixes of the six standard fields set or empty: the URI either gives back every field
    # (an empty host or schema aside, which a URI cannot tell from an absent one) or says what it loses.
    open_builder(page, static_server(site), "postgres")
    values = {
        "host": "db",
        "schema": "analytics",
        "login": "etl",
        "password": "pw",
        "port": "5432",
        "extra": '{"sslmode": "require"}',
    }
    silent = []
    for mask in range(64):
        chosen = {name: value for bit, (name, value) in enumerate(values.items()) if mask >> bit & 1}
        for name in values:
            page.fill(f"[data-field={name}]", chosen.get(name, ""))
        uri = outputs(page)["uri"]
        read = fields_of(Connection(conn_id="x", uri=uri))
        expected = {
            "conn_type": "postgres",
            "host": chosen.get("host", ""),
            "schema": chosen.get("schema", ""),
            "login": chosen.get("login"),
            "password": chosen.get("password"),
            "port": int(chosen["port"]) if "port" in chosen else None,
            "extra": json.loads(chosen.get("extra", "{}")),
        }
        if read != expected and not uri_notes(page):
            silent.append((sorted(chosen), uri, read))
    assert silent == []


def test_nothing_in_the_page_reaches_for_the_network(site: Path) -> None:
    script = (site / "_static" / "connection-builder.js").read_text(encoding="utf-8")
    for call in ("fetch(", "XMLHttpRequest", "sendBeacon", "WebSocket", "localStorage"):
        assert call not in script


def test_environment_is_untouched() -> None:
    # The parametrized test sets AIRFLOW_CONN_* through monkeypatch only.
    assert not [name for name in os.environ if name.startswith("AIRFLOW_CONN_BUILT_")]


def test_builder_data_is_plain_json_in_the_page(site: Path) -> None:
    html = (site / "catalog" / "_generated" / "connection-http.html").read_text(encoding="utf-8")
    start = html.index('<script type="application/json" class="catalog-connection-data">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    data = json.loads(body)
    assert data["conn_type"] == "http" and data["conn_id"] == "http_default"
    assert [field["name"] for field in data["extra"]] == ["srv_lookup"]


def test_copy_puts_the_output_on_the_clipboard(
    site: Path, static_server: Callable[[Path], str], page: Any
) -> None:
    base = static_server(site)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base.rstrip("/"))
    open_builder(page, base, "ftp")
    fill(page, "ftp_in", {"host": "ftp.example.org", "login": "me", "password": PASSWORD})
    page.click(".ccb-output:nth-child(1) .ccb-copy")
    page.wait_for_selector(".ccb-output:nth-child(1) .ccb-copy:text('Copied')")
    assert page.evaluate("navigator.clipboard.readText()") == outputs(page)["uri"]
