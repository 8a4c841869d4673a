"""Read what a class docstring says: its summary, its ``:param:`` fields, deprecation and failure notes.

The ``:param:`` fields are parsed by griffe's Sphinx-style parser; this module only trims what that
parser, being lenient, lets run on (a directive after the last field belongs to no parameter).
"""

from __future__ import annotations

import functools
import inspect
import logging
import re

from griffe import Docstring, DocstringSectionKind, Parser

# griffe reports unmatched parameters through logging; here a docstring has no signature attached, so
# every parameter would be "unmatched" and the messages would be noise.
logging.getLogger("griffe").setLevel(logging.ERROR)

TEMPLATED_MARK = "(templated)"

_DIRECTIVE_AFTER_BLANK = re.compile(r"\n\s*\n(?=\.\. )")
_DEPRECATED_DIRECTIVE = re.compile(
    r"^(?P<indent>[ \t]*)\.\. deprecated::[^\n]*\n(?P<body>(?:(?P=indent)[ \t]+[^\n]*\n|[ \t]*\n)*)",
    re.MULTILINE,
)
_FAILURE_SECTION = re.compile(
    r"^\s*(?:\.\. rubric::\s*)?\**failure behaviou?r\b", re.IGNORECASE | re.MULTILINE
)
_ROLE = re.compile(r":(?:[\w+-]+:)*[\w-]+:`~?(?P<target>[^`<]*?)(?:\s*<(?P<link>[^>]*)>)?`")
_REPLACEMENT = re.compile(
    r"\b(?:use|replaced by|in favou?r of|please use)\s+(?:the\s+)?`*(?P<name>[A-Za-z_][\w.]*[A-Za-z_0-9])",
    re.IGNORECASE,
)


def clean(docstring: str | None) -> str:
    """Return the docstring dedented as Python's ``help()`` shows it, or ``""`` when there is none."""
    return inspect.cleandoc(docstring) if docstring else ""


def summary(docstring: str) -> str:
    """Return the first paragraph of a cleaned docstring, joined into one line."""
    paragraph = docstring.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def param_descriptions(docstring: str) -> dict[str, str]:
    """Map each ``:param name:`` field of a cleaned docstring to its text, in the order written.

    ``*args`` and ``**kwargs`` fields are left out: they document a catch-all, not a parameter.

    :param docstring: a docstring as :func:`clean` returns it.
    :returns: parameter name to description; the description is ``""`` for an empty field.
    """
    return _param_fields(docstring)[0]


def param_types(docstring: str) -> dict[str, str]:
    """Map each parameter to the type its docstring gives (``:type name:`` or ``:param str name:``)."""
    return _param_fields(docstring)[1]


@functools.lru_cache(maxsize=4096)
def _param_fields(docstring: str) -> tuple[dict[str, str], dict[str, str]]:
    if ":param" not in docstring:
        return {}, {}
    sections = Docstring(docstring).parse(Parser.sphinx, warn_unknown_params=False, warnings=False)
    described: dict[str, str] = {}
    types: dict[str, str] = {}
    for section in sections:
        if section.kind is not DocstringSectionKind.parameters:
            continue
        for parameter in section.value:
            name = parameter.name.replace("\\", "")
            if name.startswith("*"):
                continue
            text = _DIRECTIVE_AFTER_BLANK.split(parameter.description or "", maxsplit=1)[0]
            described[name] = " ".join(text.split())
            if parameter.annotation:
                types[name] = str(parameter.annotation)
    return described, types


def is_marked_templated(description: str) -> bool:
    """Whether a parameter's description carries Airflow's "(templated)" marker."""
    return TEMPLATED_MARK in description.lower()


def has_failure_section(docstring: str) -> bool:
    """Whether the docstring has a "Failure behaviour" paragraph, heading or rubric."""
    return bool(_FAILURE_SECTION.search(docstring))


def failure_section(docstring: str) -> str | None:
    """Return the body of a docstring's "Failure behaviour" section, without its heading.

    The section starts at a ``.. rubric:: Failure behaviour`` line or a paragraph that opens with
    "Failure behaviour", and runs to the next rubric, field list (``:param …:``) or directive at the
    docstring's left margin, or to its end.

    :param docstring: a class docstring, cleaned (:func:`clean`) or raw.
    :returns: the section's reStructuredText, or ``None`` when the docstring has none.
    """
    text = clean(docstring)
    match = _FAILURE_SECTION.search(text)
    if match is None:
        return None
    # The pattern's leading whitespace may span blank lines: the heading is the line where it ends.
    heading_start = text.rfind("\n", 0, match.end()) + 1
    heading_end = text.find("\n", match.end())
    heading = text[heading_start : heading_end if heading_end >= 0 else len(text)]
    # A paragraph such as "Failure behaviour: empty input fails" keeps its text after the colon.
    first = "" if heading.lstrip().startswith("..") else heading.split(":", 1)[1] if ":" in heading else ""
    rest = text[heading_end + 1 :] if heading_end >= 0 else ""
    body = [first.strip()] if first.strip() else []
    for line in rest.splitlines():
        if line.startswith((":", ".. ")):
            break
        body.append(line)
    section = "\n".join(body).strip()
    return section or None


def deprecation_note(docstring: str) -> str | None:
    """Return the text of a ``.. deprecated::`` directive (version and body), or ``None``."""
    match = _DEPRECATED_DIRECTIVE.search(docstring + "\n")
    if match is None:
        return None
    head = match.group(0).splitlines()[0].split("::", 1)[1].strip()
    body = " ".join(match.group("body").split())
    text = " ".join(part for part in (f"Deprecated since {head}." if head else "", body) if part)
    return plain_text(text) or "Deprecated."


def replacement_in(text: str) -> str | None:
    """Find the name a deprecation message points to ("use X instead"), or ``None``.

    Deprecation messages are free prose; no library parses them, so one pattern covers the phrasings
    Airflow's providers use ("Use X", "replaced by X", "in favour of X"), with or without a role.
    """
    match = _REPLACEMENT.search(plain_text(text))
    if match is None:
        return None
    return match.group("name").rstrip(".")


def plain_text(text: str) -> str:
    """Replace Sphinx roles (``:class:`~a.B```) by their target text so a message reads as prose."""
    return _ROLE.sub(lambda m: m.group("target").strip() or (m.group("link") or ""), text)


def rst_escape(text: str) -> str:
    """Escape text so reStructuredText shows it verbatim on one line.

    Every punctuation character is backslash-escaped: docutils removes the backslashes, and no
    character can then start markup (an inline role, a comment, a list item, a table border).
    """
    return re.sub(r"([^\w\s])", r"\\\1", " ".join(text.split()))
