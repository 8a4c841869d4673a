"""Every parameter a class accepts, with its origin, checked against ``inspect.signature`` over its MRO.

The amazon provider (the bench group) has hundreds of operators, sensors, hooks and triggers built on
shared bases (``AwsBaseOperator``, ``AwsBaseSensor``, ``AwsGenericHook``) and Airflow's own; every
one of its classes is checked, not a hand-picked few.
"""

from __future__ import annotations

import importlib
import inspect

import pytest

from airflow_catalog.collect.catalog import collect_catalog
from airflow_catalog.model.catalog import Catalog, CatalogEntry

_VARIADIC = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


@pytest.fixture(scope="module")
def amazon() -> Catalog:
    return collect_catalog(["airflow.providers.amazon"])


def load(import_path: str) -> type:
    module, _, name = import_path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def accepted_by_mro(cls: type) -> list[tuple[str, str]]:
    """(name, defining class) of every ``__init__`` parameter reachable through ``**kwargs``, in MRO order."""
    accepted: dict[str, str] = {}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        values = list(inspect.signature(init).parameters.values())[1:]
        for parameter in values:
            if parameter.kind not in _VARIADIC:
                accepted.setdefault(parameter.name, f"{klass.__module__}.{klass.__qualname__}")
        if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in values):
            break
    return list(accepted.items())


def declared(entry: CatalogEntry) -> list[tuple[str, str]]:
    return [(p.name, p.origin) for p in entry.parameters if not p.documented_only]


def test_every_amazon_class_lists_what_its_mro_accepts_with_the_defining_class(amazon):
    imported = [entry for entry in amazon.entries if entry.imported]
    assert len(imported) > 400
    wrong = {
        entry.import_path: (declared(entry), expected)
        for entry in imported
        if declared(entry) != (expected := accepted_by_mro(load(entry.import_path)))
    }
    assert wrong == {}


def test_airflow_base_parameters_are_on_every_operator_and_sensor(amazon):
    base_operator = "airflow.sdk.bases.operator.BaseOperator"
    base_sensor = "airflow.sdk.bases.sensor.BaseSensorOperator"
    runs_as_task = [
        e for e in amazon.entries if e.imported and str(e.kind) in {"operator", "transfer", "sensor"}
    ]
    assert len(runs_as_task) > 250
    for entry in runs_as_task:
        origins = {p.name: p.origin for p in entry.parameters}
        # A class may declare a base's argument again itself (BatchSensor's poke_interval): its own wins.
        assert {"task_id", "retries", "pool"} <= origins.keys(), entry.import_path
        assert base_operator in origins.values(), entry.import_path
        if str(entry.kind) == "sensor":
            assert "poke_interval" in origins and base_sensor in origins.values(), entry.import_path


def test_own_parameters_come_first_then_each_base_in_mro_order(amazon):
    (s3_sensor,) = [e for e in amazon.entries if e.name == "S3KeySensor"]
    origins = list(dict.fromkeys(p.origin for p in s3_sensor.parameters if not p.documented_only))
    assert origins == [
        "airflow.providers.amazon.aws.sensors.s3.S3KeySensor",
        "airflow.providers.amazon.aws.sensors.base_aws.AwsBaseSensor",
        "airflow.sdk.bases.sensor.BaseSensorOperator",
        "airflow.sdk.bases.operator.BaseOperator",
    ]
    aws_conn_id = next(p for p in s3_sensor.parameters if p.name == "aws_conn_id")
    # Inherited from AwsBaseSensor, templated by S3KeySensor's aws_template_fields(...).
    assert aws_conn_id.description.startswith("The Airflow connection used for AWS credentials")
    assert aws_conn_id.templated is True


def test_inherited_templated_fields_are_marked_on_the_subclass(amazon):
    # AwsBaseOperator's subclasses build template_fields with aws_template_fields(...), which adds
    # the inherited aws_conn_id and region_name: only the imported class knows.
    (copy,) = [e for e in amazon.entries if e.name == "S3CopyObjectOperator"]
    templated = {p.name for p in copy.parameters if p.templated}
    assert {"source_bucket_key", "aws_conn_id", "region_name"} <= templated
    assert set(copy.template_fields) == templated
