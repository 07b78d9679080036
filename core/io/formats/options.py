"""What every format reader takes and returns."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.io.limits import DEFAULT_LIMITS, Limits

# A reader returns its rows (string columns) and one locator per row ("notes.txt:12", "a.md").
Parsed = tuple[pd.DataFrame, list[str]]


@dataclass(frozen=True)
class ReadOptions:
    """How to read one file of an upload."""

    lines_are_documents: bool = False  # a lone .txt holds one document per line
    limits: Limits = DEFAULT_LIMITS
