"""Long documents split into passages, each passage remembering the document it came from."""

from __future__ import annotations

import re

import pandas as pd

from core.io.names import free_name
from core.runtime.errors import ExplorerError
from core.runtime.limits import Limits, too_many_documents

DOCUMENT = "document"  # the column naming each passage's source document
_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
_WORD = re.compile(r"\S+")


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs (separated by blank lines), stripped, empty ones dropped."""
    return [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]


def word_windows(text: str, budget: int) -> list[str]:
    """Consecutive passages of at most `budget` words; paragraphs are kept whole where they fit
    and joined while the budget allows, and a paragraph longer than the budget is cut."""
    passages: list[str] = []
    current: list[str] = []
    used = 0
    for paragraph in paragraphs(text):
        words = _WORD.findall(paragraph)
        if used and used + len(words) > budget:
            passages.append("\n\n".join(current))
            current, used = [], 0
        while len(words) > budget:
            passages.append(" ".join(words[:budget]))
            words = words[budget:]
        if words:
            current.append(" ".join(words))
            used += len(words)
    if current:
        passages.append("\n\n".join(current))
    return passages


def split_passages(
    table: pd.DataFrame, text_column: str, *, words: int | None, limits: Limits
) -> pd.DataFrame:
    """One row per passage: paragraphs when `words` is None, else windows of at most `words`
    words. Other columns are copied to each passage, a DOCUMENT column (renamed if taken)
    names the source row
    (usable as a label, so maps and tables can show which document a passage came from), and
    passage ids are "<document>#<n>"."""
    if words is not None and words < 1:
        raise ExplorerError("A passage needs a budget of at least 1 word.")
    source = free_name(DOCUMENT, table.columns) if DOCUMENT in table.columns else DOCUMENT
    rows, ids = [], []
    for locator, record in zip(table.index, table.to_dict("records"), strict=True):
        text = str(record[text_column] or "")
        pieces = paragraphs(text) if words is None else word_windows(text, words)
        for number, piece in enumerate(pieces, start=1):
            rows.append({**record, text_column: piece, source: str(locator)})
            ids.append(f"{locator}#{number}")
        if len(rows) > limits.max_documents:
            raise too_many_documents("Split into passages, the upload", limits)
    split = pd.DataFrame(rows, columns=[*table.columns, source])
    split.index = pd.Index(ids)
    return split
