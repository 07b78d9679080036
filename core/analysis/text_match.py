"""Which documents contain the words a user typed: a vectorised scan, so that a query over
100,000 documents is answered within a slider step."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.runtime.errors import ExplorerError

MAX_QUERY_WORDS = 20


def query_words(query: str) -> tuple[str, ...]:
    """The distinct words of a query, in order; more than MAX_QUERY_WORDS is refused."""
    words = tuple(dict.fromkeys(query.split()))
    if len(words) > MAX_QUERY_WORDS:
        raise ExplorerError(
            f"The search has {len(words)} words; use at most {MAX_QUERY_WORDS} (every word must "
            "appear in a document's text or id)."
        )
    return words


def matching_rows(texts: Sequence[str], ids: Sequence[str], query: str) -> np.ndarray:
    """Whether each document's text or id contains every word of `query` (case-insensitive;
    words are plain text, never patterns), as a bool array; a query without words matches
    nothing. Each word after the first scans only the documents still matching."""
    words = query_words(query)
    found = np.zeros(len(texts), dtype=bool)
    if not words:
        return found
    rows = np.arange(len(texts))
    text = pd.Series(texts, dtype=object)
    ident = pd.Series(ids, dtype=object)
    for word in words:
        in_text = text.str.contains(word, case=False, regex=False).to_numpy(bool)
        hit = in_text | ident.str.contains(word, case=False, regex=False).to_numpy(bool)
        rows, text, ident = rows[hit], text[hit], ident[hit]
    found[rows] = True
    return found


def find_documents(texts: Sequence[str], ids: Sequence[str], query: str, limit: int) -> list[int]:
    """The first `limit` rows, in corpus order, whose text or id contains every word of `query`
    (matching_rows); a query without words finds the first `limit` rows."""
    if not query.split():
        return list(range(min(limit, len(texts))))
    return np.flatnonzero(matching_rows(texts, ids, query))[:limit].tolist()
