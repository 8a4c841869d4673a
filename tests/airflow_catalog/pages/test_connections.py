"""Connection forms from provider metadata and hook classmethods, who takes a connection, the page data."""

from __future__ import annotations

import dataclasses
import json
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import BaseHook

from airflow_catalog.collect.hook_forms import form_from_hook, form_from_provider_info
from airflow_catalog.model.catalog import (
    Catalog,
    CatalogEntry,
    ConnectionForm,
    ConnectionType,
    ExtraField,
    HookIdentity,
    Kind,
    PackageInfo,
    Parameter,
    StandardField,
)
from airflow_catalog.model.index import CatalogIndex
from airflow_catalog.pages.connections import builder_data, connection_uses, scheme
from airflow_catalog.sphinxext.doctree import json_for_script

SCHEMA = json.loads(
    files("airflow_catalog.model").joinpath("catalog.schema.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("cls", [StandardField, ExtraField, ConnectionForm, ConnectionType, HookIdentity])
def test_schema_names_the_connection_fields_of_the_model(cls: type) -> None:
    definition = SCHEMA["$defs"][cls.__name__]
    names = sorted(f.name for f in dataclasses.fields(cls))
    assert sorted(definition["properties"]) == names
    assert sorted(definition["required"]) == names


def test_provider_metadata_gives_fields_labels_and_hidden_fields() -> None:
    form = form_from_provider_info(
        {
            "connection-type": "smtp",
            "conn-fields": {
                "timeout": {
                    "label": "Connection timeout",
                    "schema": {"type": ["integer", "null"], "default": 30},
                },
                "auth_type": {
                    "label": "Auth Type",
                    "description": "basic or oauth2",
                    "schema": {"type": ["string", "null"], "enum": ["basic", "oauth2"]},
                },
                "client_secret": {
                    "label": "Client secret",
                    "schema": {"type": ["string", "null"], "format": "password"},
                },
            },
            "ui-field-behaviour": {
                "hidden-fields": ["schema", "extra"],
                "relabeling": {"login": "Username"},
                "placeholders": {"host": "smtp.example.com", "extra__smtp__timeout": "30"},
            },
        }
    )
    assert form is not None and form.source == "provider-info" and form.problems == ()
    assert form.standard_fields == (
        StandardField("host", placeholder="smtp.example.com"),
        StandardField("schema", hidden=True),
        StandardField("login", label="Username"),
        StandardField("extra", hidden=True),
    )
    assert form.extra_fields == (
        ExtraField("timeout", "Connection timeout", "integer", default=30, placeholder="30"),
        ExtraField("auth_type", "Auth Type", "string", "basic or oauth2", choices=("basic", "oauth2")),
        ExtraField("client_secret", "Client secret", "string", sensitive=True),
    )


def test_metadata_without_a_form_leaves_it_to_the_hook() -> None:
    assert form_from_provider_info({"connection-type": "ftp", "hook-class-name": "x.FTPHook"}) is None


class _ValidHook(BaseHook):
    conn_type = "valid"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["port"],
            "relabeling": {"schema": "Bucket"},
            "placeholders": {"region": "eu-west-1"},
        }


class _ChildHook(_ValidHook):
    conn_type = "child"


class _MisspeltHook(BaseHook):
    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {"hidden-fields": ["host"], "relabeling": {}}


class _WidgetHook(BaseHook):
    conn_type = "widget"

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        # Written as Airflow 2 providers write them; WTForms and Flask-AppBuilder are not installed here.
        from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
        from flask_babel import lazy_gettext
        from wtforms import BooleanField, IntegerField, PasswordField, StringField
        from wtforms.validators import Optional, any_of

        return {
            "region": StringField(lazy_gettext("Region"), widget=BS3TextFieldWidget(), default="eu-west-1"),
            "extra__widget__mode": StringField(
                "Mode", validators=[Optional(), any_of(["fast", "safe"])], description="How to run."
            ),
            "timeout": IntegerField("Timeout", default=30),
            "token": PasswordField("Token", widget=BS3PasswordFieldWidget()),
            "verify": BooleanField("Verify TLS"),
        }

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {"hidden_fields": [], "relabeling": {}, "placeholders": {"extra__widget__token": "secret"}}


class _BrokenWidgetHook(BaseHook):
    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        import not_an_installed_module  # type: ignore[import-not-found]  # noqa: F401

        return {}


def test_a_hook_declares_its_own_form() -> None:
    form = form_from_hook(_ValidHook)
    assert form == ConnectionForm(
        standard_fields=(StandardField("schema", label="Bucket"), StandardField("port", hidden=True)),
        source="hook",
    )


def test_an_inherited_form_is_not_the_subclass_form() -> None:
    # Airflow reads only the methods a hook class defines itself.
    assert form_from_hook(_ChildHook) is None


def test_a_form_airflow_would_ignore_becomes_a_problem_with_the_fix() -> None:
    form = form_from_hook(_MisspeltHook)
    assert form is not None and form.standard_fields == ()
    (problem,) = form.problems
    assert problem.startswith(
        "_MisspeltHook.get_ui_field_behaviour() is not valid, so Airflow ignores all of it"
    )
    assert "'hidden_fields' is a required property" in problem and "hidden-fields" in problem


def test_widgets_are_read_without_the_web_ui_libraries() -> None:
    form = form_from_hook(_WidgetHook)
    assert form is not None and form.problems == ()
    assert form.extra_fields == (
        ExtraField("region", "Region", default="eu-west-1"),
        ExtraField("mode", "Mode", description="How to run.", choices=("fast", "safe")),
        ExtraField("timeout", "Timeout", "integer", default=30),
        ExtraField("token", "Token", sensitive=True, placeholder="secret"),
        ExtraField("verify", "Verify TLS", "boolean"),
    )
    # The stand-ins lived only while the hook built its widgets.
    assert not {"wtforms", "flask_babel", "flask_appbuilder.fieldwidgets"} & set(sys.modules)


def test_a_widget_method_that_cannot_import_is_reported_not_fatal() -> None:
    form = form_from_hook(_BrokenWidgetHook)
    assert form is not None and form.extra_fields == ()
    assert form.problems == (
        "_BrokenWidgetHook.get_connection_form_widgets() needs not_an_installed_module, which is not "
        "installed, so its fields are not shown here; declare them as conn-fields in the provider metadata",
    )


def _entry(path: str, kind: Kind, *, parameters: tuple[Parameter, ...] = (), **more: Any) -> CatalogEntry:
    module, name = path.rsplit(".", 1)
    return CatalogEntry(path, name, module, kind, "pkg", "1.0", parameters=parameters, **more)


def _catalog() -> Catalog:
    bucket = _entry(
        "pkg.hooks.BucketHook",
        Kind.HOOK,
        hook=HookIdentity("bucket", "bucket_conn_id", "bucket_default", "Bucket"),
    )
    queue = _entry(
        "pkg.hooks.QueueHook", Kind.HOOK, hook=HookIdentity("queue", "queue_conn_id", "queue_default")
    )
    copy = _entry(
        "pkg.operators.BucketToQueueOperator",
        Kind.TRANSFER,
        parameters=(
            Parameter("bucket_conn_id", default="BucketHook.default_conn_name = 'bucket_default'"),
            Parameter("queue_conn_id", default="'my_queue'"),
            Parameter("key", required=True),
        ),
        uses_hooks=("pkg.hooks.BucketHook", "pkg.hooks.QueueHook"),
    )
    listing = _entry(
        "pkg.operators.ListOperator",
        Kind.OPERATOR,
        parameters=(Parameter("conn_id", required=True),),
        uses_hooks=("pkg.hooks.BucketHook",),
    )
    form = ConnectionForm(
        standard_fields=(StandardField("port", hidden=True),),
        extra_fields=(ExtraField("region", "Region</script><b>"),),
        source="provider-info",
    )
    package = PackageInfo(
        "pkg",
        "pkg",
        "1.0",
        connection_types=(ConnectionType("bucket", "pkg.hooks.BucketHook", "Bucket", form),),
    )
    return Catalog(packages=(package,), entries=(bucket, queue, copy, listing))


def test_parameters_taking_a_connection_type_and_their_default_ids() -> None:
    index = CatalogIndex.of(_catalog())
    uses = [(u.entry.name, u.parameter.name, u.default) for u in connection_uses("bucket", index)]
    # The transfer's other connection is of another type; the lone ``conn_id`` of a one-type user counts.
    assert uses == [
        ("BucketToQueueOperator", "bucket_conn_id", "bucket_default"),
        ("ListOperator", "conn_id", None),
    ]
    assert [(u.entry.name, u.parameter.name, u.default) for u in connection_uses("queue", index)] == [
        ("BucketToQueueOperator", "queue_conn_id", "my_queue")
    ]


def test_builder_data_follows_the_form_and_the_hook() -> None:
    data = builder_data("bucket", CatalogIndex.of(_catalog()))
    assert data["conn_id"] == "bucket_default" and data["scheme"] == "bucket"
    assert [f["name"] for f in data["standard"] if not f["hidden"]] == [
        "host",
        "schema",
        "login",
        "password",
        "extra",
    ]
    assert [f["name"] for f in data["extra"]] == ["region"]


def test_hostile_metadata_cannot_close_the_script_element() -> None:
    data = builder_data("bucket", CatalogIndex.of(_catalog()))
    text = json_for_script(data)
    assert "</script>" not in text and "<b>" not in text
    assert json.loads(text) == data


def test_the_uri_scheme_is_the_one_airflow_writes() -> None:
    from airflow.sdk import Connection

    for conn_type in ("http", "etl_archive", "google_cloud_platform"):
        uri = Connection(conn_id="x", conn_type=conn_type, host="h").get_uri()
        assert uri.split("://", 1)[0] == scheme(conn_type)


def test_a_changed_form_rebuilds_the_connection_page_whose_text_did_not_change(tmp_path: Path) -> None:
    from roots.catalog_site import build_fresh_process, make_site, read_times, reread

    site = make_site(tmp_path)
    first = build_fresh_process(site, "-W", "--keep-going")
    assert first.status == 0 and first.warnings == []
    page = "catalog/_generated/connection-bucket"
    assert '"label":"Login"' in first.page(page)
    before = read_times(site)
    hook = site / "pkgs/vendor_pkg/operators.py"
    text = hook.read_text(encoding="utf-8")
    behaviour = (
        '    hook_name = "Bucket"\n\n    @classmethod\n    def get_ui_field_behaviour(cls):\n'
        '        return {"hidden_fields": ["port"], "relabeling": {"login": "Access key"}}\n'
    )
    hook.write_text(text.replace('    hook_name = "Bucket"\n', behaviour), encoding="utf-8")
    second = build_fresh_process(site, "-W", "--keep-going")
    assert second.status == 0 and second.warnings == []
    assert page in reread(before, read_times(site))
    assert '"label":"Access key"' in second.page(page)


def test_the_extraction_cache_is_dropped_when_this_code_changes() -> None:
    # Forms are read during extraction and kept in the cache with the entries they belong to.
    from airflow_catalog.collect.cache import cache_key

    assert cache_key((), None)["code"]["collect/hook_forms.py"] is not None
