"""Make every page the catalog builds meet WCAG 2.1 AA as axe-core checks it.

Five things fail on Sphinx + sphinx-rtd-theme pages, and this extension fixes each where it
is made:

- Sphinx writes a toctree's caption as ``<p class="caption" role="heading">`` without the
  ``aria-level`` that ARIA 1.2 requires of a heading role (sphinx-doc/sphinx#14030). The sidebar's
  toctree and the captions in a page's body get ``aria-level="2"``, the level ARIA 1.1 implied.
- The theme's link blue, code red, footer grey and admonition titles fall under 4.5:1 contrast:
  ``_static/accessibility.css`` overrides them with darker shades of the same colours.
- Links differ from the text around them by colour alone. A link inside running text (its paragraph
  holds words besides links) is marked with the class :data:`IN_TEXT`, which the stylesheet
  underlines; links that stand alone (a table cell, a list of pages) keep the theme's look.
- A code block or a wide table that scrolls sideways cannot be scrolled from the keyboard:
  ``_static/accessibility.js`` makes each one that overflows focusable.
- ``sphinx.ext.graphviz`` embeds an SVG diagram as an ``<object>`` whose alt text is fallback
  content, which browsers hide once the SVG has loaded: the diagram is left without a name. Each
  such ``<object>`` gets ``role="img"`` and its alt text as ``aria-label``.

The version switcher and banner carry their own stylesheet (``_static/versions.css``), since the
versioning extension may be used without this one.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.transforms.post_transforms import SphinxPostTransform

from airflow_catalog import __version__

STATIC_DIR = Path(__file__).parent / "_static"
CSS_FILE = "accessibility.css"
JS_FILE = "accessibility.js"
#: The class of a link inside running text, which ``accessibility.css`` underlines.
IN_TEXT = "catalog-in-text"
#: The level ARIA 1.1 gave a heading role without one; Sphinx's own fix proposes the same.
CAPTION_LEVEL = 2

# What the HTML writer emits for a toctree caption (sphinx.writers.html5, visit_title), with or
# without further classes, and not yet given a level.
_CAPTION = re.compile(r'(<p class="caption(?: [^"]*)?" role="heading")(?![^>]*\baria-level=)')
_WORD = re.compile(r"\w")
# What sphinx.ext.graphviz emits for an SVG diagram (render_dot_html): the object, then its alt text
# as fallback content. An object that already has a role or a name does not match.
_DIAGRAM = re.compile(
    r'<object (data="[^"]*" type="image/svg\+xml" class="(?:[^"]* )?graphviz(?: [^"]*)?")>'
    r'(\s*<p class="warning">(.*?)</p>\s*</object>)',
    re.DOTALL,
)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the stylesheet, the script, the link marker, and the caption levels and diagram names."""
    app.connect("config-inited", add_static_path)
    app.add_css_file(CSS_FILE)
    app.add_js_file(JS_FILE, defer="defer")
    app.add_post_transform(MarkLinksInText)
    app.connect("html-page-context", make_page_accessible)
    return {"version": __version__, "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}


def add_static_path(app: Sphinx, config: Config) -> None:
    """Put this package's ``_static`` folder, which holds the stylesheet, on the static path."""
    static = str(STATIC_DIR)
    # A new list, not append(): an unset value is Sphinx's shared default list.
    if static not in config.html_static_path:
        config.html_static_path = [*config.html_static_path, static]


def with_caption_levels(html: str) -> str:
    """Return ``html`` with ``aria-level`` on every toctree caption that has a heading role and no level.

    :param html: a rendered fragment: a toctree, or a page's body.
    """
    return _CAPTION.sub(rf'\1 aria-level="{CAPTION_LEVEL}"', html)


def with_named_diagrams(html: str) -> str:
    """Return ``html`` with each graphviz SVG ``<object>`` named by its alt text, as an image.

    :param html: a page's body.
    """

    def name(match: re.Match[str]) -> str:
        # The alt text is already HTML-encoded for the fallback paragraph; an attribute also needs
        # its quotes encoded, and a screen reader needs no line breaks.
        alt = " ".join(match.group(3).split()).replace('"', "&quot;")
        if not alt:
            return match.group(0)
        return f'<object {match.group(1)} role="img" aria-label="{alt}">{match.group(2)}'

    return _DIAGRAM.sub(name, html)


def make_page_accessible(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: nodes.document | None
) -> None:
    """At ``html-page-context``: caption levels in the body and the theme's toctree; diagram names.

    The theme renders the sidebar by calling the context's ``toctree`` function from its template, so
    that function is wrapped rather than its result edited.
    """
    if isinstance(context.get("body"), str):
        context["body"] = with_named_diagrams(with_caption_levels(context["body"]))
    toctree = context.get("toctree")
    if callable(toctree):
        context["toctree"] = _leveled(toctree)


def _leveled(toctree: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(toctree)
    def leveled(**kwargs: Any) -> str:
        return with_caption_levels(toctree(**kwargs))

    return leveled


class MarkLinksInText(SphinxPostTransform):
    """Mark each link that sits in running text with :data:`IN_TEXT`, so that it can be underlined.

    Running text is a block (a paragraph, a caption, a line) with words outside its links, as
    axe-core's ``link-in-text-block`` rule sees it; a block that is nothing but links is navigation.
    """

    # After Sphinx's ReferencesResolver (priority 10) has turned cross-references into links.
    default_priority = 900
    formats = ("html",)

    def run(self, **kwargs: Any) -> None:
        """Add the class to every link whose block holds words besides its links."""
        verdicts: dict[int, bool] = {}
        for reference in self.document.findall(nodes.reference):
            block = _block_of(reference)
            if block is None:
                continue
            key = id(block)
            if key not in verdicts:
                verdicts[key] = _has_words_outside_links(block)
            if verdicts[key] and IN_TEXT not in reference["classes"]:
                reference["classes"].append(IN_TEXT)


def _block_of(node: nodes.Element) -> nodes.Element | None:
    """Return the text block ``node`` is drawn in: its nearest ancestor that is not inline.

    A signature line is inline for docutils but drawn as its own block; a block that holds other
    blocks (a section, a list) is no text block, and its links are left alone.

    :param node: a link.
    :returns: the block, or ``None`` when the link is not inside text.
    """
    parent = node.parent
    while isinstance(parent, nodes.Inline) and not isinstance(parent, addnodes.desc_signature):
        parent = parent.parent
    if isinstance(parent, nodes.TextElement):
        return parent
    return None


def _has_words_outside_links(block: nodes.Element) -> bool:
    """Return whether ``block`` holds a letter or digit that is not part of a link's text.

    :param block: a text block, as :func:`_block_of` finds it.
    """
    for text in block.findall(nodes.Text):
        if _WORD.search(text.astext()) and not _inside_link(text, block):
            return True
    return False


def _inside_link(node: nodes.Node, block: nodes.Element) -> bool:
    parent = node.parent
    while parent is not None and parent is not block:
        if isinstance(parent, nodes.reference):
            return True
        parent = parent.parent
    return False
