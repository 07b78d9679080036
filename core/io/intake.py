"""Corpus intake: a table and the columns chosen for it (on the Corpus page or by the CLI's flags)
become a Corpus and the notes its user should read. Ids are checked here, since query answers
name documents by them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from core.io.corpus import (
    Corpus,
    build_corpus,
    long_documents,
    read_path,
    row_name,
    text_columns,
)
from core.io.queries import beir_corpus, is_beir_folder
from core.runtime.errors import ExplorerError
from core.runtime.limits import DEFAULT_LIMITS


@dataclass(frozen=True)
class Intake:
    """A corpus and the notes on how it was made from its table."""

    corpus: Corpus
    notes: tuple[str, ...] = ()


def take_in(
    table: pd.DataFrame,
    text_column: str,
    label_column: str | None = None,
    *,
    id_column: str | None = None,
    name: str,
    source: str | None = None,
    unique_ids: bool = True,
) -> Intake:
    """The corpus of `table` with the chosen columns (core.io.corpus.build_corpus), and its
    notes. With `unique_ids`, an id column that names two documents alike is refused; messages
    call the table `source` (default: `name`)."""
    if id_column is not None and unique_ids:
        duplicate_ids(table, id_column, source or name)
    corpus = build_corpus(table, text_column, label_column, id_column=id_column, name=name)
    return Intake(corpus, tuple(note for note in (long_note(table, text_column),) if note))


def load_corpus(
    path: Path,
    *,
    text_column: str | None = None,
    label_column: str | None = None,
    id_column: str | None = None,
    unique_ids: bool = False,
) -> Intake:
    """The corpus of a file or folder on disk: a BEIR folder's documents, else the table
    read_path reads, taken in with the columns named; the text and id columns are guessed as
    the Corpus page's defaults when not named (text_columns, default_id_column)."""
    if not path.exists():
        raise ExplorerError(f"{path} does not exist.")
    if is_beir_folder(path):
        return Intake(beir_corpus(path))
    table = read_path(path)
    texts = text_columns(table)
    text_column = text_column or (texts[0] if texts else None)
    if text_column is None:
        raise ExplorerError(f"No text column found in {path}.")
    for column in (label_column, id_column):
        if column and column not in table.columns:
            raise ExplorerError(f"No column named {column!r} in {path}.")
    return take_in(
        table,
        text_column,
        label_column,
        id_column=id_column or default_id_column(table),
        name=path.stem or "corpus",
        source=path.name,
        unique_ids=unique_ids,
    )


def long_note(table: pd.DataFrame, text_column: str) -> str:
    """A sentence on the documents of the column build_corpus cuts short; empty if none."""
    cut = long_documents(table, text_column)
    if not cut:
        return ""
    return (
        f"{cut:,} documents are longer than {DEFAULT_LIMITS.max_doc_chars:,} characters: only "
        "their start is embedded."
    )


def default_id_column(table: pd.DataFrame) -> str | None:
    """A column named 'id' (any case) whose values differ on every row, if there is one."""
    for column in table.columns:
        if str(column).strip().lower() == "id" and table[column].astype(str).is_unique:
            return column
    return None


def duplicate_ids(table: pd.DataFrame, id_column: str, name: str) -> None:
    """Refuse an id column that names two documents alike (answers would be ambiguous),
    naming both rows."""
    seen: dict[str, object] = {}
    for locator, value in zip(table.index, table[id_column], strict=True):
        key = str(value).strip()
        if key in seen:
            raise ExplorerError(
                f"{name}, {row_name(locator)}: the document id {key!r} repeats "
                f"({row_name(seen[key])} has it too); query answers name documents by id, so "
                f"every document needs its own in column {id_column!r}."
            )
        seen[key] = locator
