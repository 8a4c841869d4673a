"""Render upstream docstrings as they are, without warnings, and link types without intersphinx.

Provider docstrings are written for Airflow's own docs build: they ``:ref:`` how-to guides that are
not in ours, use ``:external+boto3:py:meth:`` roles, ``|experimental|``-style substitutions and
annotations that only resolve under ``TYPE_CHECKING``. On the page of a catalogued *upstream* class
(and only there) these become text or a link to the published docs; a broken reference on any other
page, our own package's included, still warns and fails the ``-W`` build.

Types are linked by pattern (standard library → docs.python.org, Airflow → airflow.apache.org),
because intersphinx would need the network and the build has none.
"""

from __future__ import annotations

import builtins
import logging
import re
import sys
from collections.abc import Callable, Collection
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.parsers.rst.directives.tables import CSVTable
from docutils.parsers.rst.states import Inliner
from docutils.transforms import Transform
from docutils.utils import Reporter
from sphinx.addnodes import pending_xref
from sphinx.util import logging as sphinx_logging
from sphinx.util.docutils import CustomReSTDispatcher

from airflow_catalog.collect.sources import ModuleSource

logger = sphinx_logging.getLogger(__name__)

PYTHON_DOCS = "https://docs.python.org/3/library/"
AIRFLOW_DOCS = "https://airflow.apache.org/docs/"
#: Published inventories of the external roles provider docstrings use, by inventory name.
EXTERNAL_DOCS = {
    "boto3": "https://boto3.amazonaws.com/v1/documentation/api/latest/reference/services/",
    "python": PYTHON_DOCS,
}
_PY_ROLES = frozenset({"class", "obj", "data", "exc", "func", "meth", "attr", "mod", "const", "type"})
_BUILTIN_NAMES = frozenset(dir(builtins))
#: Standard-library submodules documented on a page of their own (the others share their package's).
_SUBMODULE_PAGES = frozenset(
    {
        "collections.abc",
        "os.path",
        "importlib.metadata",
        "concurrent.futures",
        "logging.handlers",
        "logging.config",
        "urllib.parse",
        "urllib.request",
        "email.message",
        "xml.etree.ElementTree",
    }
)


def python_docs_url(target: str) -> str | None:
    """Return the docs.python.org page of a standard-library or builtin name, or ``None``.

    :param target: a dotted name such as ``collections.abc.Sequence`` or ``str``.
    """
    target = target.removeprefix("builtins.")
    if target in _BUILTIN_NAMES:
        obj = getattr(builtins, target)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            return f"{PYTHON_DOCS}exceptions.html#{target}"
        if target in ("None", "True", "False", "Ellipsis", "NotImplemented"):
            return f"{PYTHON_DOCS}constants.html#{target}"
        return f"{PYTHON_DOCS}functions.html#{target}"
    top = target.split(".", 1)[0]
    if top not in sys.stdlib_module_names or top.startswith("_"):
        return None
    module = _longest_module(target)
    page = module if module in _SUBMODULE_PAGES else top
    return f"{PYTHON_DOCS}{page}.html#{target}"


def _longest_module(target: str) -> str | None:
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name in sys.modules:
            return name
    return None


def airflow_docs_url(target: str) -> str | None:
    """Return the page of an Airflow object in Airflow's published API docs, or ``None``.

    The published docs are built by sphinx-autoapi with one page per module, so the address
    follows from the module path: ``_api/<module as folders>/index.html#<target>``.
    """
    if not target.startswith("airflow."):
        return None
    module = _longest_module(target) or target.rsplit(".", 1)[0]
    folders = module.replace(".", "/")
    if target.startswith("airflow.sdk"):
        return f"{AIRFLOW_DOCS}task-sdk/stable/api.html#{target}"
    provider = re.match(
        r"airflow\.providers\.((?:\w+\.)*?\w+)\.(hooks|operators|sensors|triggers|transfers|"
        r"notifications|utils|links|exceptions|version_compat|get_provider_info)\b",
        target,
    )
    if provider:
        distribution = "apache-airflow-providers-" + provider.group(1).replace(".", "-").replace("_", "-")
        return f"{AIRFLOW_DOCS}{distribution}/stable/_api/{folders}/index.html#{target}"
    return f"{AIRFLOW_DOCS}apache-airflow/stable/_api/{folders}/index.html#{target}"


def provider_docs_url(import_name: str) -> str:
    """Return the home page of an upstream package's published docs."""
    if import_name.startswith("airflow.providers."):
        tail = import_name.removeprefix("airflow.providers.")
        distribution = "apache-airflow-providers-" + tail.replace(".", "-").replace("_", "-")
        return f"{AIRFLOW_DOCS}{distribution}/stable/index.html"
    return f"{AIRFLOW_DOCS}apache-airflow/stable/index.html"


def _link(url: str, contnode: nodes.Node, title: str = "") -> nodes.reference:
    reference = nodes.reference("", "", internal=False, refuri=url, reftitle=title or url)
    reference += contnode
    return reference


class ReferencePolicy:
    """Decides how a reference that Sphinx could not resolve is shown.

    :param upstream_docs: docname of each upstream class's page → its package's published docs.
    :param own_prefixes: import names of our own packages: their objects never fall back.
    :param page_classes: docname of every class page → the import path of its class.
    """

    def __init__(
        self, upstream_docs: dict[str, str], own_prefixes: Collection[str], page_classes: dict[str, str]
    ) -> None:
        self.upstream_docs = upstream_docs
        self.own_prefixes = tuple(own_prefixes)
        self.page_classes = page_classes

    def is_own(self, target: str) -> bool:
        """Whether ``target`` names an object of one of our own packages."""
        return any(target == prefix or target.startswith(prefix + ".") for prefix in self.own_prefixes)

    def resolve(self, node: pending_xref, contnode: nodes.Element) -> nodes.Node | None:
        """Return the node to show instead of ``node``, or ``None`` to let Sphinx warn."""
        domain, reftype = node.get("refdomain", ""), node.get("reftype", "")
        target = node.get("reftarget", "")
        refdoc = node.get("refdoc")
        on_upstream_page = refdoc in self.upstream_docs
        if domain == "py" and reftype in _PY_ROLES:
            if "." not in target and refdoc in self.page_classes:
                # sphinx-autodoc-typehints leaves names it could not qualify (string annotations,
                # ``TYPE_CHECKING`` imports) bare: qualify them from the class's own modules.
                target = qualify(target, self.page_classes[refdoc]) or target
                if "." not in target and target not in _BUILTIN_NAMES:
                    return contnode
            if self.is_own(target):
                return None
            url = python_docs_url(target) or airflow_docs_url(target)
            if url:
                return _link(url, contnode)
            if on_upstream_page or _is_third_party(target):
                return contnode
            return None
        if not on_upstream_page:
            return None
        if domain == "std" and reftype in ("ref", "doc", "label"):
            # A how-to guide of the provider's own docs: name it and point at those docs.
            # ``:ref:`` lower-cases its target; the node's text keeps the docstring's spelling.
            text = contnode.astext() if node.get("refexplicit") else _humanise_label(contnode.astext())
            return _link(self.upstream_docs[refdoc], nodes.inline(text, text), f"{target} in Airflow's docs")
        return contnode


def qualify(name: str, import_path: str) -> str | None:
    """Find what a bare name means in the modules that define a class and its bases.

    The names come from each module's source (its imports, ``TYPE_CHECKING`` ones included, and
    its top-level definitions), not from its namespace: sphinx-autodoc-typehints executes guarded
    imports into the namespaces of the modules it documents, so the answer would depend on which
    pages this process happened to read (and differ between ``-j 1`` and ``-j 2``).

    :param name: a bare name such as ``timedelta``.
    :param import_path: the class whose page shows it.
    :returns: the qualified name, e.g. ``datetime.timedelta``, or ``None``.
    """
    module_name, _, class_name = import_path.rpartition(".")
    cls = getattr(sys.modules.get(module_name), class_name, None)
    for base in getattr(cls, "__mro__", ()):
        module = sys.modules.get(base.__module__)
        path = getattr(module, "__file__", None)
        if path and base.__module__ != "builtins":
            found = module_names(path, base.__module__).get(name)
            if found:
                return found
    return None


@cache
def module_names(path: str, module: str) -> dict[str, str]:
    """Qualified name of every name a module's source binds at its top level (read without import)."""
    return ModuleSource(module, Path(path)).top_level_names


def _humanise_label(label: str) -> str:
    """``howto/operator:HttpOperator`` → ``HttpOperator (how-to guide)``."""
    if ":" in label:
        kind, _, name = label.rpartition(":")
        guide = "connection guide" if "connection" in kind else "how-to guide"
        return f"{name} ({guide})"
    return label


def _is_third_party(target: str) -> bool:
    """Whether ``target`` lives in an installed package that is neither ours nor the standard library."""
    top = target.split(".", 1)[0]
    if not top or top in sys.stdlib_module_names:
        return False
    return top in sys.modules


def boto3_url(target: str) -> str | None:
    """Return boto3's page of ``S3.Client.list_objects_v2``-style targets, or ``None``."""
    match = re.fullmatch(r"(\w+)\.(Client|Paginator|Waiter)\.(\w+)(?:\.\w+)?", target)
    if not match:
        return None
    service, kind, name = match.groups()
    return f"{EXTERNAL_DOCS['boto3']}{service.lower()}/{kind.lower()}/{name}.html"


def external_role(
    name: str,
    rawtext: str,
    text: str,
    lineno: int,
    inliner: Inliner,
    options: dict[str, Any] | None = None,
    content: list[str] | None = None,
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """Show an ``:external+inv:domain:role:`` reference as code, linked when its docs are known."""
    explicit = re.fullmatch(r"(.*?)\s*<(.+)>", text, flags=re.DOTALL)
    title, target = (explicit.group(1), explicit.group(2)) if explicit else (text, text)
    target = target.lstrip("~!")
    if not explicit and text.startswith("~"):
        title = target.rsplit(".", 1)[-1]
    literal = nodes.literal(rawtext, title)
    inventory = name.partition("+")[2].partition(":")[0] if "+" in name else ""
    url = (
        boto3_url(target)
        if inventory == "boto3"
        else python_docs_url(target)
        if inventory == "python"
        else None
    )
    return ([_link(url, literal) if url else literal], [])


def literal_role(
    show: Callable[[str], str],
) -> Callable[..., tuple[list[nodes.Node], list[nodes.system_message]]]:
    """Return a role function that shows its text, as ``show`` turns it, as code: nothing else is done.

    :param show: what of the role's text is shown.
    """

    def role(
        name: str,
        rawtext: str,
        text: str,
        lineno: int,
        inliner: Inliner,
        options: dict[str, Any] | None = None,
        content: list[str] | None = None,
    ) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        return ([nodes.literal(rawtext, show(text))], [])

    return role


def _title_of(text: str) -> str:
    explicit = re.fullmatch(r"(.*?)\s*<(.+)>", text, flags=re.DOTALL)
    return explicit.group(1) if explicit and explicit.group(1) else text.rsplit("/", 1)[-1]


#: A role this build does not know, shown as its text.
text_role = literal_role(lambda text: text)
#: A file-reading role (``:download:``) shown as its title alone: the file is neither read nor named.
title_role = literal_role(_title_of)


class RawAsText(Directive):
    """``raw`` in a docstring: the markup is shown as code, never passed to the page."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = {
        "file": directives.unchanged,
        "url": directives.unchanged,
        "encoding": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        """Return the content as a literal block."""
        text = "\n".join(self.content)
        return [nodes.literal_block(text, text)]


#: Directives that read a file (or a URL) that the text names: a catalogued package's docstring is
#: untrusted input, and through them it could copy the build machine's files (``/etc/passwd``, a CI
#: secret) into the published site. ``raw`` is :class:`RawAsText`; ``csv-table`` only with ``:file:``
#: or ``:url:`` (see :class:`InlineCsvTableOnly`).
FILE_READING_DIRECTIVES = frozenset({"include", "literalinclude", "image", "figure", "graphviz"})
#: Roles that copy the file they name into the built site.
FILE_READING_ROLES = frozenset({"download"})


def _refused(directive: Directive) -> list[nodes.Node]:
    target = " ".join(directive.arguments) or "its content"
    text = f"(.. {directive.name}:: {target} is not read: a catalogued docstring may not read files.)"
    return [nodes.paragraph(text, text, classes=["catalog-refused"])]


class FileRefused(Directive):
    """A directive of a docstring that would read a file: shown as a note of what was left out."""

    has_content = True
    optional_arguments = 100
    final_argument_whitespace = True
    option_spec = None

    def run(self) -> list[nodes.Node]:
        """Return the note; nothing is read."""
        return _refused(self)


class InlineCsvTableOnly(CSVTable):
    """``csv-table`` in a docstring: its inline rows are drawn, a ``:file:`` or ``:url:`` is not read."""

    def run(self) -> list[nodes.Node]:
        """Return the table, or the note when it would read a file or a URL."""
        if "file" in self.options or "url" in self.options:
            return _refused(self)
        return super().run()


class Ignored(Directive):
    """A directive of Airflow's own docs build (``spelling:word-list``): nothing to show."""

    has_content = True
    optional_arguments = 100
    final_argument_whitespace = True
    option_spec = None

    def run(self) -> list[nodes.Node]:
        """Return nothing."""
        return []


class DocstringDispatcher(CustomReSTDispatcher):
    """Role and directive look-up while reading a generated catalog page.

    On every generated page a ``raw`` directive shows its text, and a directive or role that would
    read a file the docstring names is left out with a note (:data:`FILE_READING_DIRECTIVES`): our
    own hand-written pages keep them. On an upstream class's page the
    ``external`` roles render as code (linked when known), an unknown role as its text and an
    unknown directive as nothing.
    """

    def __init__(self, upstream: bool) -> None:
        super().__init__()
        self.upstream = upstream

    def directive(
        self, directive_name: str, language_module: ModuleType, document: nodes.document
    ) -> tuple[type[Directive] | None, list[nodes.system_message]]:
        """Look up a directive, with the catalog's fallbacks."""
        if directive_name == "raw":
            return RawAsText, []
        if directive_name in FILE_READING_DIRECTIVES:
            return FileRefused, []
        if directive_name == "csv-table":
            return InlineCsvTableOnly, []
        found, messages = super().directive(directive_name, language_module, document)
        if found is None and self.upstream:
            return Ignored, []
        return found, messages

    def role(
        self, role_name: str, language_module: ModuleType, lineno: int, reporter: Reporter
    ) -> tuple[Callable[..., Any], list[nodes.system_message]]:
        """Look up a role, with the catalog's fallbacks."""
        if self.upstream and role_name.startswith(("external:", "external+")):
            return external_role, []
        if role_name in FILE_READING_ROLES:
            return title_role, []
        found, messages = super().role(role_name, language_module, lineno, reporter)
        if found is None and self.upstream:
            return text_role, []
        return found, messages


class UndefinedSubstitutionsAsText(Transform):
    """On an upstream class's page, ``|name|`` that nothing defines becomes the text ``name``.

    Runs before docutils' ``Substitutions`` transform (priority 220), which would report it.
    """

    default_priority = 215
    #: Docnames of upstream classes' pages, set at ``builder-inited`` (forked readers inherit it).
    upstream_docs: Collection[str] = frozenset()

    def apply(self, **kwargs: Any) -> None:
        """Replace undefined substitution references of upstream pages."""
        env = self.document.settings.env
        if env.docname not in self.upstream_docs:
            return
        defined = set(self.document.substitution_defs) | {
            name.lower() for name in self.document.substitution_defs
        }
        for reference in list(self.document.findall(nodes.substitution_reference)):
            refname = reference["refname"]
            if refname not in defined and refname.lower() not in defined:
                reference.replace_self(nodes.Text(reference.astext()))


class ScriptLinksAsText(Transform):
    """A ``javascript:``, ``vbscript:`` or ``data:`` link becomes its text, on every page.

    docutils turns any ``scheme:rest`` it knows into a link, so a docstring that mentions
    ``javascript:alert(1)`` would otherwise give the page a link that runs code when clicked.
    """

    default_priority = 790
    unsafe = ("javascript:", "vbscript:", "data:")

    def apply(self, **kwargs: Any) -> None:
        """Replace each unsafe link with its text."""
        for reference in list(self.document.findall(nodes.reference)):
            if reference.get("refuri", "").strip().lower().startswith(self.unsafe):
                reference.replace_self(nodes.Text(reference.astext()))


class UpstreamDocstringFilter(logging.Filter):
    """Turns docstring warnings raised while reading an upstream class's page into verbose messages.

    They concern text we do not own (a provider's malformed docstring, an annotation that only
    resolves under ``TYPE_CHECKING``); each is still shown with ``-v``, and counted.
    """

    def __init__(self, current_doc: Callable[[], str | None], upstream_docs: Collection[str]) -> None:
        super().__init__()
        self.current_doc = current_doc
        self.upstream_docs = upstream_docs
        self.demoted = 0

    def filter(self, record: logging.LogRecord) -> bool:
        """Demote warnings of upstream pages; keep everything else as it is."""
        if record.levelno >= logging.WARNING and self.current_doc() in self.upstream_docs:
            record.levelno, record.levelname = sphinx_logging.VERBOSE, "VERBOSE"
            self.demoted += 1
        return True


#: Loggers whose warnings, on an upstream page, come from the docstring rather than from our build.
DOCSTRING_LOGGERS = (
    "sphinx.sphinx_autodoc_typehints",
    "sphinx.sphinx.util.docutils",  # docutils' messages about the text it parses
    "sphinx.sphinx.ext.autodoc",
    "sphinx.sphinx.util.inspect",
    "sphinx.sphinx.util.nodes",
    "sphinx.sphinx.util.typing",
    "sphinx.sphinx.domains.python",
    "sphinx.sphinx.domains.python._object",
)


def install_log_filter(
    current_doc: Callable[[], str | None], upstream_docs: Collection[str]
) -> UpstreamDocstringFilter:
    """Attach one :class:`UpstreamDocstringFilter` to the loggers that report docstring problems."""
    log_filter = UpstreamDocstringFilter(current_doc, upstream_docs)
    for name in DOCSTRING_LOGGERS:
        target = logging.getLogger(name)
        for old in [f for f in target.filters if isinstance(f, UpstreamDocstringFilter)]:
            target.removeFilter(old)
        target.addFilter(log_filter)
    return log_filter
