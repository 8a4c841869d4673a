from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from airflow_catalog.collect.catalog import collect_catalog
from airflow_catalog.collect.examples import build_index, example_files
from airflow_catalog.model.catalog import Kind

WIDGET = "hostile_pkg.operators.widget"


def providers_own(parameters):
    """The parameters not declared by Airflow's own bases (``BaseOperator``…)."""
    return [
        p
        for p in parameters
        if p.origin.startswith("airflow.providers.") or not p.origin.startswith("airflow.")
    ]


def params(entry):
    return {p.name: p for p in entry.parameters}


def test_parameters_carry_type_default_required_templated_and_description(entry):
    widget = params(entry("operators.widget.WidgetOperator"))
    assert widget["widget_id"].type == "str"
    assert widget["widget_id"].required is True and widget["widget_id"].default is None
    assert widget["widget_id"].templated is True
    assert widget["widget_id"].description == "which widget to fetch. (templated)"
    assert widget["deferrable"].default == "False" and widget["deferrable"].required is False
    assert widget["deferrable"].templated is False


def test_parameters_passed_through_kwargs_to_a_base_class_are_inherited_with_their_origin(entry):
    widget = entry("operators.widget.WidgetOperator")
    names = [p.name for p in widget.parameters]
    assert names[:4] == ["widget_id", "deferrable", "widget_conn_id", "retries_on_busy"]
    inherited = params(widget)["retries_on_busy"]
    assert inherited.origin == f"{WIDGET}.WidgetBaseOperator"
    assert inherited.description == 'how often to retry when the service answers "busy".'
    assert params(widget)["widget_id"].origin == f"{WIDGET}.WidgetOperator"
    # Airflow's own BaseOperator arguments come last, marked by their origin.
    airflows = {p.origin for p in widget.parameters[4:]}
    assert airflows == {"airflow.sdk.bases.operator.BaseOperator"}
    assert {"task_id", "retries"} <= set(names[4:])
    assert params(widget)["task_id"].required is True
    assert params(widget)["retries"].description.startswith("the number of retries")


def test_default_is_the_source_text_not_the_evaluated_value(entry):
    hook = params(entry("hooks.widget.WidgetHook"))
    # An expression shows what it evaluates to as well: a DAG author needs the value.
    assert hook["widget_conn_id"].default == "default_conn_name = 'widget_default'"
    assert hook["widget_conn_id"].positional is True


def test_kwargs_only_signature_keeps_the_parameters_its_docstring_documents(entry):
    kwargs_only = entry("operators.odd.KwargsOnlyOperator")
    (colour,) = providers_own(kwargs_only.parameters)
    assert colour.name == "colour" and colour.documented_only is True
    assert colour.description.startswith("read from the keyword arguments")


def test_annotations_that_do_not_resolve_are_kept_as_text(entry):
    odd = params(entry("operators.odd.UnresolvableAnnotationOperator"))
    assert odd["gizmo"].type == "Gizmo | None"
    assert odd["count"].type == "NoSuchType"
    assert odd["count"].default == "1"


def test_positional_only_init_is_catalogued_and_marked_positional(entry):
    odd = params(entry("operators.odd.PositionalOnlyOperator"))
    assert odd["first"].positional and odd["first"].required
    assert odd["second"].positional and odd["second"].default == "'two'"


def test_html_in_docstrings_is_kept_verbatim_as_data(entry):
    html = entry("operators.odd.HtmlDocstringOperator")
    assert '<script>alert("catalog")</script>' in html.summary
    assert "<img src=x onerror=" in html.docstring
    assert "<script>alert('param')</script>" in params(html)["greeting"].description


def test_template_fields_ext_and_ui_colours(entry):
    widget = entry("operators.widget.WidgetOperator")
    assert widget.template_fields == ("widget_id",)
    assert widget.template_ext == (".json",)
    assert (widget.ui_color, widget.ui_fgcolor) == ("#f0c0a0", "#102030")


def test_deferrable_from_parameter_or_self_defer(entry):
    assert entry("operators.widget.WidgetOperator").deferrable is True
    assert entry("sensors.widget.WidgetSensor").deferrable is False


def test_deprecation_from_init_warning_names_the_replacement(entry):
    deprecation = entry("operators.odd.DeprecatedOperator").deprecation
    assert deprecation is not None
    assert "deprecated" in deprecation.message
    assert deprecation.replacement == f"{WIDGET}.WidgetOperator"
    assert entry("operators.widget.WidgetOperator").deprecation is None


def test_deprecated_decorator_of_an_upstream_class():
    catalog = collect_catalog(["airflow.providers.standard.sensors.time_delta"])
    by_name = {e.name: e for e in catalog.entries}
    deprecation = by_name["TimeDeltaSensorAsync"].deprecation
    assert deprecation is not None
    assert deprecation.replacement == "airflow.providers.standard.sensors.time_delta.TimeDeltaSensor"
    assert by_name["TimeDeltaSensor"].deprecation is None


def test_hook_identity(entry):
    hook = entry("hooks.widget.WidgetHook").hook
    assert hook is not None
    assert (hook.conn_type, hook.conn_name_attr, hook.default_conn_name, hook.hook_name) == (
        "widget",
        "widget_conn_id",
        "widget_default",
        "Widget service",
    )
    assert entry("hooks.widget.AnonymousHook").hook.conn_type is None
    assert entry("operators.widget.WidgetOperator").hook is None


def test_hooks_an_operator_uses_are_resolved_to_import_paths(entry):
    hook = "hostile_pkg.hooks.widget.WidgetHook"
    assert entry("operators.widget.WidgetOperator").uses_hooks == (hook,)
    assert entry("transfers.widget_to_gadget.WidgetToGadgetOperator").uses_hooks == (hook,)
    assert entry("operators.odd.KwargsOnlyOperator").uses_hooks == ()


def test_source_location_is_relative_to_the_distribution_root(entry):
    source = entry("operators.odd.PositionalOnlyOperator").source
    assert source.path == "hostile_pkg/operators/odd.py"
    text = (Path(__file__).parents[1] / "fixtures" / source.path).read_text().splitlines()
    assert text[source.line - 1].startswith("class PositionalOnlyOperator(")


def test_class_read_from_source_has_what_the_source_says(entry):
    vendor = entry("broken.missing_dependency.VendorOperator")
    assert vendor.imported is False
    assert vendor.summary == "Send widgets to the vendor."
    (parameter,) = providers_own(vendor.parameters)
    assert (parameter.name, parameter.type, parameter.default, parameter.templated) == (
        "vendor_conn_id",
        "str",
        "'vendor_default'",
        True,
    )
    assert vendor.ui_color == "#abcdef"
    assert vendor.uses_hooks == ("airflow.providers.nonexistent_vendor.hooks.vendor.VendorHook",)
    exploding = entry("broken.raises_at_import.ExplodingHook")
    assert exploding.hook.conn_type == "exploding" and exploding.hook.default_conn_name == "exploding_default"


def test_template_fields_read_from_source_use_helpers_and_other_classes_that_imported(entry):
    batch = entry("broken.missing_dependency.VendorBatchOperator")
    assert batch.imported is False
    # In parameter order, as every entry's template fields are.
    assert batch.template_fields == ("batch", "widget_conn_id")
    assert batch.template_ext == (".json", ".sql")
    assert [p.name for p in batch.parameters if p.templated] == ["batch", "widget_conn_id"]


def test_examples_are_the_marked_snippets_that_mention_the_class(entry):
    (example,) = entry("operators.widget.WidgetOperator").examples
    assert example.file == "example_dags/example_widget.py"
    assert example.dag_id == "example_widget"
    assert example.code == 'fetch = WidgetOperator(task_id="fetch", widget_id="{{ params.widget }}")\n'
    lines = (Path(__file__).parents[1] / "fixtures/hostile_pkg" / example.file).read_text().splitlines()
    assert lines[example.start_line - 1].strip() == example.code.strip()
    assert len(entry("sensors.widget.WidgetSensor").examples) == 1
    assert entry("hooks.widget.WidgetHook").examples == ()


def test_snippets_of_decorated_dags_and_files_without_markers(tmp_path):
    dags = tmp_path / "pkg" / "nested" / "example_dags"
    dags.mkdir(parents=True)
    (dags / "example_decorated.py").write_text(
        "from airflow.sdk import dag\n\n\n@dag(schedule=None)\ndef decorated():\n"
        "    # [START howto_thing]\n    ThingOperator(task_id='t')\n    # [END howto_thing]\n"
    )
    (dags / "example_plain.py").write_text("OtherOperator(task_id='o')\n")
    index = build_index(example_files([tmp_path / "pkg"], "pkg"))
    (example,) = index.examples_for("ThingOperator")
    assert (example.start_line, example.dag_id, example.file) == (
        7,
        "decorated",
        "nested/example_dags/example_decorated.py",
    )
    assert example.code == "ThingOperator(task_id='t')\n"
    # CAT008 asks for markers: a file without them gives no snippet.
    assert index.examples_for("OtherOperator") == ()


def test_upstream_operator_parameters_and_inherited_base_parameters():
    catalog = collect_catalog(["airflow.providers.amazon.aws.operators.sqs"])
    (operator,) = [e for e in catalog.entries if e.name == "SqsPublishOperator"]
    by_name = params(operator)
    assert by_name["sqs_queue"].required and by_name["sqs_queue"].templated
    # aws_conn_id is declared by the provider's AwsBaseOperator and reaches SqsPublishOperator via **kwargs.
    assert by_name["aws_conn_id"].origin == "airflow.providers.amazon.aws.operators.base_aws.AwsBaseOperator"
    assert by_name["aws_conn_id"].description
    assert operator.package == "airflow.providers.amazon.aws.operators.sqs"
    assert catalog.packages[0].distribution == "apache-airflow-providers-amazon"
    assert "airflow.providers.amazon.aws.hooks.sqs.SqsHook" in operator.uses_hooks
    assert operator.kind is Kind.OPERATOR


def test_an_airflow_mixin_between_provider_classes_does_not_stop_the_inheritance():
    # GlueJobOperator's MRO puts Airflow's ResumableJobMixin before the provider's AwsBaseOperator.
    catalog = collect_catalog(["airflow.providers.amazon.aws.operators.glue"])
    (glue,) = [e for e in catalog.entries if e.name == "GlueJobOperator"]
    aws_conn_id = params(glue)["aws_conn_id"]
    assert aws_conn_id.origin == "airflow.providers.amazon.aws.operators.base_aws.AwsBaseOperator"
    assert aws_conn_id.documented_only is False
    assert params(glue)["task_id"].origin == "airflow.sdk.bases.operator.BaseOperator"


def test_template_fields_built_from_sets_come_out_in_the_same_order_every_time():
    code = (
        "from airflow_catalog.collect.catalog import collect_catalog\n"
        "c = collect_catalog(['airflow.providers.standard.operators.python'])\n"
        "print([e.template_fields for e in c.entries if e.name == 'PythonVirtualenvOperator'])"
    )
    outputs = set()
    for seed in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(proc.stdout.strip().splitlines()[-1])
    assert len(outputs) == 1
    assert "venv_cache_path" in outputs.pop()


def test_system_test_dags_of_a_provider_count_when_installed(tmp_path, monkeypatch):
    system = tmp_path / "tests" / "system" / "fakeprov"
    system.mkdir(parents=True)
    (system / "example_fake.py").write_text(
        "# [START howto_fake]\nFakeOperator(task_id='f')\n# [END howto_fake]\n"
    )
    (system / "helpers.py").write_text("FakeOperator(task_id='not an example')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    files = example_files([], "airflow.providers.fakeprov")
    assert [(path.name, base) for path, base in files] == [("example_fake.py", system)]
    (example,) = build_index(files).examples_for("FakeOperator")
    assert (example.file, example.start_line) == ("example_fake.py", 2)
