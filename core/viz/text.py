"""Text shown in figures: escaping for plotly and vis.js, one-line excerpts, each document's
hover text (escaped for plotly, plain for the WebGL map) and the note saying a sample is drawn."""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np

EXCERPT_CHARS = 160
HOVER_CHARS = 120  # the WebGL map's hover: each line cut to this many characters


def escape(text: str) -> str:
    """Escape &, < and > in text shown by plotly or vis.js. Quotes stay as they are: they are
    harmless outside attributes, and vis.js shows titles as plain text, where an escaped
    apostrophe would read "&#x27;"."""
    return html.escape(text, quote=False)


def shorten(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The text on one line, cut to `limit` characters with an ellipsis (not escaped)."""
    flat = " ".join(text.split())
    return flat[: limit - 1] + "…" if len(flat) > limit else flat


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """A short, HTML-escaped, single-line excerpt for plotly hover boxes."""
    return escape(shorten(text, limit))


def hover_texts(
    texts: Sequence[str], ids: Sequence[str], labels: Sequence[str] | None
) -> list[str]:
    """Escaped hover text per document: id, label if any, and an excerpt."""
    out = []
    for i, text in enumerate(texts):
        head = f"<b>{escape(ids[i])}</b>"
        if labels is not None:
            head += f" · label: {escape(str(labels[i]))}"
        out.append(f"{head}<br>{excerpt(text)}")
    return out


def sample_note(shown: int, total: int, what: str = "documents") -> str:
    """The on-screen statement of a sample's size."""
    return f"showing a fixed sample of {shown:,} of {total:,} {what}"


def hover_lines(
    texts: Sequence[str], ids: Sequence[str], labels: Sequence[str] | None, rows: np.ndarray
) -> list[str]:
    """A document's hover text as plain text: its id (and label, if any) on the first line and
    an excerpt of HOVER_CHARS characters on the second."""
    out = []
    for row in rows.tolist():
        head = str(ids[row]) if labels is None else f"{ids[row]} · label: {labels[row]}"
        out.append(f"{shorten(head, HOVER_CHARS)}\n{shorten(texts[row], HOVER_CHARS)}")
    return out
