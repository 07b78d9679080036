"""Shared page widgets: user text rendered where Streamlit reads Markdown shows as written."""

from __future__ import annotations

import html

import pytest
from markdown_it import MarkdownIt

from pages.widgets import plain

HOSTILE = [
    "**bold** _it_ `code` ~~strike~~",
    "[click](javascript:alert(1)) ![img](x.png)",
    "<script>alert(1)</script> R&D &amp;",
    ":red[alarm] :material/home: $x^2$",
    "# heading",
    "- item",
    "+ item",
    "12. numbered",
    "3) numbered",
    "=== setext",
    "a | b | c",
    "back\\slash",
    "notes_v2.csv",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_plain_text_renders_as_written_through_commonmark(text):
    rendered = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(plain(text))
    assert rendered == f"<p>{html.escape(text, quote=False)}</p>\n"


def test_plain_leaves_ordinary_names_alone():
    assert plain("wordllama-l2-supercat (OSError).") == "wordllama-l2-supercat (OSError)."
