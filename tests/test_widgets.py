"""Shared page widgets: user text rendered where Streamlit reads Markdown shows as written."""

from __future__ import annotations

import html

import pytest
from markdown_it import MarkdownIt

from pages.widgets import plain, time_left

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


@pytest.mark.parametrize(
    ("share", "elapsed", "expected"),
    [
        (0.5, 2.0, ""),  # too early to tell
        (0.01, 30.0, ""),
        (1.0, 30.0, ""),
        (0.5, 20.0, "about 20 s left"),
        (0.25, 10.0, "about 30 s left"),
        (0.9, 10.0, "about 5 s left"),
        (0.2, 60.0, "about 4 min left"),
    ],
)
def test_time_left_extrapolates_the_rate_so_far(share, elapsed, expected):
    assert time_left(share, elapsed) == expected
