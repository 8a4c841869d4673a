from __future__ import annotations

import pytest

from airflow_catalog.model import docstrings

DOC = docstrings.clean(
    """Fetch a payload over HTTP and archive it.

    It keeps going.

    :param endpoint: path below the connection's
        base URL. (templated)
    :type endpoint: str
    :param retries_on_busy: how often to retry.

    .. deprecated:: 2.1
       Use :class:`~pkg.operators.NewOperator` instead.
    """
)


def test_clean_dedents_and_handles_none():
    assert DOC.startswith("Fetch a payload") and "\n    It keeps" not in DOC
    assert docstrings.clean(None) == ""


def test_summary_is_the_first_paragraph_on_one_line():
    assert docstrings.summary(DOC) == "Fetch a payload over HTTP and archive it."
    assert docstrings.summary("One\nline.\n\nTwo.") == "One line."
    assert docstrings.summary("") == ""


def test_param_descriptions_join_continuation_lines_and_stop_at_a_directive():
    described = docstrings.param_descriptions(DOC)
    assert list(described) == ["endpoint", "retries_on_busy"]
    assert described["endpoint"] == "path below the connection's base URL. (templated)"
    assert described["retries_on_busy"] == "how often to retry."


def test_param_descriptions_of_a_docstring_without_fields():
    assert docstrings.param_descriptions("Just prose.") == {}


@pytest.mark.parametrize(
    ("description", "marked"),
    [("the path. (templated)", True), ("the path (Templated)", True), ("the path.", False)],
)
def test_templated_marker(description, marked):
    assert docstrings.is_marked_templated(description) is marked


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Failure behaviour: an empty answer fails.", True),
        ("Summary.\n\nFailure behavior\n----------------\nIt fails.", True),
        ("Summary.\n\n.. rubric:: Failure behaviour\n\nIt fails.", True),
        ("Summary. It handles failure gracefully.", False),
    ],
)
def test_failure_section(text, found):
    assert docstrings.has_failure_section(text) is found


def test_deprecation_note_reads_the_directive_as_prose():
    note = docstrings.deprecation_note(DOC)
    assert note == "Deprecated since 2.1. Use pkg.operators.NewOperator instead."
    assert docstrings.deprecation_note("No directive here.") is None


@pytest.mark.parametrize(
    ("message", "replacement"),
    [
        ("Use `TimeDeltaSensor` with deferrable=True instead", "TimeDeltaSensor"),
        ("This class is deprecated. Please use :class:`~a.b.NewHook`.", "a.b.NewHook"),
        ("Replaced by airflow.providers.x.NewOperator.", "airflow.providers.x.NewOperator"),
        ("It will be removed.", None),
    ],
)
def test_replacement_in_a_deprecation_message(message, replacement):
    assert docstrings.replacement_in(message) == replacement


def test_types_from_type_fields_and_typed_params_and_no_catch_alls():
    doc = (
        ":param str name: the name.\n:param count: how many.\n:type count: int\n:param \\*\\*kwargs: more.\n"
    )
    assert docstrings.param_types(doc) == {"name": "str", "count": "int"}
    assert list(docstrings.param_descriptions(doc)) == ["name", "count"]


@pytest.mark.parametrize(
    ("docstring", "section"),
    [
        (
            "Fetch.\n\n.. rubric:: Failure behaviour\n\n- **Empty**: fails.\n- **Timeout**: retried.\n\n"
            ":param x: what.\n",
            "- **Empty**: fails.\n- **Timeout**: retried.",
        ),
        (
            "Fetch.\n\nFailure behaviour: empty input fails; a timeout is retried.\n",
            "empty input fails; a timeout is retried.",
        ),
        ("Fetch.\n\n:param x: what.\n", None),
    ],
    ids=["rubric", "paragraph", "none"],
)
def test_failure_section_is_the_body_under_its_heading(docstring: str, section: str | None) -> None:
    assert docstrings.failure_section(docstring) == section
