"""The conventions a catalogued class is checked against, one small rule per id (``CAT001``…).

Each rule is a function of an entry that yields ``(message, fix)`` pairs; :func:`check_entries`
turns them into :class:`~airflow_catalog.model.catalog.Finding` objects with the severity of the entry's
package: an error for our own packages, informational for upstream ones. The docs' conventions page
(``docs/conventions.md``) explains each rule under an anchor of the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from airflow_catalog.model import docstrings
from airflow_catalog.model.catalog import CatalogEntry, Finding, Kind, PackageInfo, Severity
from airflow_catalog.model.names import transfer_systems

#: What a rule yields: the message (what is wrong) and the fix (what to change).
Problem = tuple[str, str]

_NAME_SUFFIX = {
    Kind.OPERATOR: "Operator",
    Kind.SENSOR: "Sensor",
    Kind.HOOK: "Hook",
    Kind.TRIGGER: "Trigger",
    Kind.NOTIFIER: "Notifier",
}
_RUNS_AS_TASK = (Kind.OPERATOR, Kind.SENSOR, Kind.TRANSFER)


@dataclass(frozen=True)
class Rule:
    """One convention: its stable id, a title for the conformance page, and its check."""

    id: str
    title: str
    check: Callable[[CatalogEntry, PackageInfo | None], Iterable[Problem]]


def docstring_missing(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT001: a class docstring that is missing or only a summary line."""
    if not entry.docstring.strip():
        yield (
            f"{entry.name} has no docstring",
            "write a docstring: a one-line summary, a paragraph on what it does, one `:param:` per argument",
        )
    elif len([line for line in entry.docstring.strip().splitlines() if line.strip()]) < 2:
        yield (
            f"{entry.name}'s docstring is a single line",
            "add what the class does and one `:param name:` field per constructor argument",
        )


def parameter_undocumented(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT002: a constructor parameter of the class itself with no ``:param name:`` field."""
    for parameter in entry.parameters:
        if (
            parameter.origin == entry.import_path
            and not parameter.documented_only
            and not parameter.description
        ):
            yield (
                f"parameter {parameter.name!r} of {entry.name} is not documented",
                f"add `:param {parameter.name}: …` to the class docstring",
            )


def parameter_unknown(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT003: a ``:param:`` field naming no constructor parameter."""
    for parameter in entry.parameters:
        if parameter.documented_only:
            yield (
                f"the docstring of {entry.name} documents {parameter.name!r}, which no `__init__` declares",
                f"declare {parameter.name} as a keyword-only argument of `__init__`, or remove its "
                "`:param:` field",
            )


def naming(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT004: the class name says what kind it is; a transfer is ``<Source>To<Target>Operator``."""
    if entry.kind is Kind.TRANSFER:
        if transfer_systems(entry.name) is None:
            yield (
                f"{entry.name} is a transfer but is not named <Source>To<Target>Operator",
                "rename it after the systems it moves data between, e.g. HttpToArchiveOperator",
            )
        return
    suffix = _NAME_SUFFIX[entry.kind]
    if not entry.name.endswith(suffix):
        yield (
            f"{entry.name} is {'an' if entry.kind is Kind.OPERATOR else 'a'} {entry.kind} but its name does "
            f"not end with {suffix!r}",
            f"rename it to end with {suffix} (keep the old name as a deprecated alias if DAGs use it)",
        )


def hook_identity(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT005: a hook names its connection type, conn-id attribute, default conn id and display name."""
    if entry.kind is not Kind.HOOK:
        return
    identity = entry.hook
    missing = [
        name
        for name in ("conn_type", "conn_name_attr", "default_conn_name", "hook_name")
        if identity is None or not getattr(identity, name)
    ]
    if missing:
        yield (
            f"hook {entry.name} does not set {', '.join(missing)}",
            "set the class attributes " + ", ".join(f"`{name} = …`" for name in missing),
        )


def template_field_unknown(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT006: a ``template_fields`` entry that is not a constructor parameter."""
    names = {p.name for p in entry.parameters if not p.documented_only}
    for field in entry.template_fields:
        if field not in names:
            yield (
                f"template field {field!r} of {entry.name} is not a constructor parameter",
                f"template only arguments of `__init__` (stored under the same name), or remove {field!r} "
                "from template_fields",
            )


def failure_undocumented(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT007: an operator, sensor or transfer whose docstring does not say how it fails."""
    if entry.kind in _RUNS_AS_TASK and not docstrings.has_failure_section(entry.docstring):
        yield (
            f"{entry.name}'s docstring has no 'Failure behaviour' section",
            "add a 'Failure behaviour' paragraph: what happens on empty input, on a corrupt payload, and on "
            "an unreachable or timing-out source",
        )


def no_example(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT008: a class that no example DAG uses."""
    if not entry.examples:
        yield (
            f"no example DAG uses {entry.name}",
            "use it in a DAG under the package's example_dags/ folder, between `# [START …]` and "
            "`# [END …]` markers",
        )


def templated_mark_mismatch(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT009: "(templated)" in a description must match membership of ``template_fields``."""
    for parameter in entry.parameters:
        if parameter.origin != entry.import_path or not parameter.description:
            continue
        marked = docstrings.is_marked_templated(parameter.description)
        if marked and not parameter.templated:
            yield (
                f"parameter {parameter.name!r} of {entry.name} says (templated) but is not in "
                "template_fields",
                f"add {parameter.name!r} to template_fields, or remove '(templated)' from its description",
            )
        elif parameter.templated and not marked:
            yield (
                f"parameter {parameter.name!r} of {entry.name} is in template_fields but its description "
                "does not say (templated)",
                f"end the `:param {parameter.name}:` description with '(templated)'",
            )


def positional_parameters(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT010: operator arguments are keyword-only (Airflow's ``validate-operators-init`` convention)."""
    if entry.kind not in _RUNS_AS_TASK:
        return
    positional = [p.name for p in entry.parameters if p.origin == entry.import_path and p.positional]
    if positional:
        yield (
            f"{entry.name}.__init__ takes {', '.join(positional)} by position",
            "make the arguments keyword-only: `def __init__(self, *, …, **kwargs)`",
        )


#: The sections of ``get_provider_info()`` that list a provider's modules (notifiers: its classes).
_LISTING_SECTIONS = frozenset({"operators", "sensors", "hooks", "triggers", "transfers", "notifications"})
#: The section of ``get_provider_info()`` that lists the modules of each kind, and its module key.
_PROVIDER_SECTION = {
    Kind.OPERATOR: ("operators", "python-modules"),
    Kind.SENSOR: ("sensors", "python-modules"),
    Kind.HOOK: ("hooks", "python-modules"),
    Kind.TRIGGER: ("triggers", "python-modules"),
    Kind.TRANSFER: ("transfers", "python-module"),
}


def module_undeclared(entry: CatalogEntry, package: PackageInfo | None = None) -> Iterator[Problem]:
    """CAT011: the class's module (a notifier: the class) is missing from its provider's metadata.

    Airflow learns a module's integration from ``get_provider_info()`` alone; a module left out is
    invisible to it (and to the catalog's integration badge and filter). Only packages that have
    provider metadata are checked.
    """
    if package is None or not package.name:
        return
    listed = {item.target for item in package.provider_items if item.section in _LISTING_SECTIONS}
    if entry.kind is Kind.NOTIFIER:
        if entry.import_path not in listed:
            yield (
                f"{entry.name} is not listed in the provider metadata (get_provider_info())",
                f'add "{entry.import_path}" to "notifications" in get_provider_info()',
            )
        return
    if entry.module in listed:
        return
    # A transfer by name outside a ``transfers`` module (``HttpToArchiveOperator`` in operators/) is
    # listed as the operator it is, as Airflow's providers list theirs.
    kind = entry.kind
    if kind is Kind.TRANSFER and "transfers" not in entry.module.split("."):
        kind = Kind.OPERATOR
    section, key = _PROVIDER_SECTION[kind]
    if kind is Kind.TRANSFER:
        source, target = transfer_systems(entry.name) or ("<source>", "<target>")
        item = (
            f'{{"source-integration-name": "{source}", "target-integration-name": "{target}", '
            f'"{key}": "{entry.module}"}}'
        )
        alternative = ""
    else:
        integration = package.integrations[0] if len(package.integrations) == 1 else "<integration>"
        item = f'{{"integration-name": "{integration}", "{key}": ["{entry.module}"]}}'
        alternative = " (or add the module to that integration's item)"
    yield (
        f"{entry.module}, which defines {entry.name}, is not listed in the provider metadata "
        "(get_provider_info()), so Airflow does not know its integration",
        f'add it to "{section}" in get_provider_info(): {item}{alternative}',
    )


RULES: tuple[Rule, ...] = (
    Rule("CAT001", "Class docstring missing or only one line", docstring_missing),
    Rule("CAT002", "Constructor parameter not documented", parameter_undocumented),
    Rule("CAT003", "Documented parameter that the constructor does not take", parameter_unknown),
    Rule("CAT004", "Name does not say the kind", naming),
    Rule("CAT005", "Hook without its connection identity", hook_identity),
    Rule("CAT006", "Templated field that is not a constructor parameter", template_field_unknown),
    Rule("CAT007", "Failure behaviour not documented", failure_undocumented),
    Rule("CAT008", "No example DAG uses the class", no_example),
    Rule("CAT009", "'(templated)' marker disagrees with template_fields", templated_mark_mismatch),
    Rule("CAT010", "Constructor arguments not keyword-only", positional_parameters),
    Rule("CAT011", "Module missing from the provider metadata", module_undeclared),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}


def check_entry(
    entry: CatalogEntry, severity: Severity, rules: Sequence[Rule] = RULES, package: PackageInfo | None = None
) -> Iterator[Finding]:
    """Run every rule on one entry.

    :param package: the entry's package, for the rules that read its provider metadata.
    """
    for rule in rules:
        for message, fix in rule.check(entry, package):
            yield Finding(
                rule=rule.id, severity=severity, import_path=entry.import_path, message=message, fix=fix
            )


def check_entries(entries: Iterable[CatalogEntry], packages: Sequence[PackageInfo]) -> tuple[Finding, ...]:
    """Check entries against every rule, with the severity of each entry's package.

    :param entries: the catalogued classes.
    :param packages: their packages; an entry whose package is not listed is treated as our own.
    :returns: the findings, in entry order then rule order.
    """
    by_name = {package.import_name: package for package in packages}
    findings: list[Finding] = []
    for entry in entries:
        package = by_name.get(entry.package)
        severity = Severity.ERROR if package is None or package.is_own else Severity.INFO
        findings.extend(check_entry(entry, severity, package=package))
    return tuple(findings)
