"""What every format reader takes and returns."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from core.runtime.limits import DEFAULT_LIMITS, Limits

# A reader returns its rows (string columns) and one locator per row ("notes.txt:12", "a.md").
Parsed = tuple[pd.DataFrame, list[str]]

# Halves of UTF-16 surrogate pairs, which cannot be encoded as UTF-8 (as tables, hashes, models,
# exports and the browser need): JSON's "\ud83d" escapes (an emoji cut in two, common in exported
# tweets and chats), PDF text layers (pypdf decodes them with "surrogatepass") and undecodable
# bytes in file names on disk. Text decoded from a file's bytes never holds them.
_SURROGATES = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"
REPLACED_SURROGATES = "replaced_surrogates"  # a table's attrs key: how many were replaced


@dataclass(frozen=True)
class ReadOptions:
    """How to read one file of an upload."""

    lines_are_documents: bool = False  # a lone .txt holds one document per line
    limits: Limits = DEFAULT_LIMITS


def without_surrogates(text: str) -> tuple[str, int]:
    """The text with each lone surrogate replaced by U+FFFD, and how many were."""
    return _SURROGATES.subn(REPLACEMENT, text)


def text_table(rows: list[dict[str, str]]) -> pd.DataFrame:
    """A reader's records as a table of strings (missing cells ""), with lone surrogates in keys
    and values replaced before pandas sees them (its Arrow strings refuse them); their count is
    in the table's attrs."""
    replaced = 0

    def clean(text: str) -> str:
        nonlocal replaced
        text, count = without_surrogates(text)
        replaced += count
        return text

    table = pd.DataFrame([{clean(k): clean(v) for k, v in row.items()} for row in rows]).fillna("")
    table.attrs[REPLACED_SURROGATES] = replaced
    return table
