"""Load documents from uploaded files or from disk into a table, and from a table into a Corpus.

Each format has its reader (core.io.formats); every size, count and zip expansion is bounded by
Limits so that a hostile or accidental upload cannot exhaust memory; every problem a user can fix
raises ExplorerError naming the file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

import pandas as pd

from core.analysis.colour_by import Column, categorical_column
from core.io.archive import read_members
from core.io.columns import table_columns
from core.io.formats import ARCHIVE, READERS, SUPPORTED_EXTENSIONS, ReadOptions
from core.io.formats.options import REPLACED_SURROGATES, REPLACEMENT, without_surrogates
from core.io.names import free_name, unique_names
from core.runtime.cache import cache_key, texts_digest
from core.runtime.errors import ExplorerError
from core.runtime.limits import DEFAULT_LIMITS, Limits, check_sizes, too_many_documents
from core.runtime.units import size_text

__all__ = ["SUPPORTED_EXTENSIONS", "Corpus", "Limits", "build_corpus", "read_files", "read_path"]

_MIN_DOCUMENTS = 3
_MAX_NAME_CHARS = 40

SOURCE = "source"
DEMO_CORPUS_PATH = Path(__file__).parents[1] / "data" / "demo_corpus.csv"
_SUPPORTED_TEXT = ", ".join(SUPPORTED_EXTENSIONS)

_LABEL_HINTS = (
    "label",
    "category",
    "class",
    "topic",
    "theme",
    "tag",
    "genre",
    "type",
    "group",
    "sentiment",
    "subject",
    "cluster",
)

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Corpus:
    """Documents with unique stable ids, optional fine and coarse (parent) labels, and the
    uploaded table's other columns that can colour a map (core.io.columns). The columns key
    nothing computed and are not part of the fingerprints; nor are `empty_ids`, the ids of rows
    left out for having no text, kept so that an answer naming one is reported as such."""

    name: str
    texts: tuple[str, ...]
    ids: tuple[str, ...]
    labels: tuple[str, ...] | None = None
    coarse_labels: tuple[str, ...] | None = None
    columns: tuple[Column, ...] = ()
    empty_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        sizes = {len(self.ids)} | {
            len(x) for x in (self.labels, self.coarse_labels, *self.columns) if x is not None
        }
        if sizes != {len(self.texts)}:
            raise ValueError("Corpus ids and labels must have one entry per text")
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("Corpus ids must be unique")

    def __len__(self) -> int:
        return len(self.texts)

    @cached_property
    def fingerprint(self) -> str:
        """Content key of everything shown: texts, ids and labels (not the name)."""
        return self._key(self.labels, self.coarse_labels)

    @cached_property
    def documents_fingerprint(self) -> str:
        """Content key of the texts and ids alone: what embeddings, graphs, communities and maps
        depend on, so choosing another label column keeps them. It equals the fingerprint of
        the same documents without labels."""
        return self._key(None, None)

    @cached_property
    def _digests(self) -> tuple[str, str]:
        """The texts' and the ids' digests, hashed once for both fingerprints."""
        return texts_digest(self.texts), texts_digest(self.ids)

    def _key(self, labels, coarse_labels) -> str:
        texts, ids = self._digests
        return cache_key(
            {
                "texts": texts,
                "ids": ids,
                "labels": [texts_digest(x) for x in (labels, coarse_labels) if x],
            }
        )


def read_files(
    files: Sequence[tuple[str, bytes]], *, limits: Limits = DEFAULT_LIMITS
) -> pd.DataFrame:
    """Parse uploaded (name, raw bytes) pairs into one table of string columns plus "source".

    Missing values are "". Texts are kept whole (build_corpus cuts long documents, after any
    split into passages). The index holds a stable locator per row ("notes.txt:12", "a.md",
    "data.csv:3"), which build_corpus uses as the document id when no id column is chosen.
    Lone surrogates (see core.io.formats.options) in file names, cells and column names are
    replaced by U+FFFD; table.attrs[REPLACED_SURROGATES] counts them (see replaced_note).
    """
    if not files:
        raise ExplorerError(f"No files were given. Upload at least one file ({_SUPPORTED_TEXT}).")
    for name, _ in files:
        _extension_of(name)
    check_sizes([(name, len(data)) for name, data in files], limits)

    members: list[tuple[str, bytes]] = []
    unpacked = 0
    for name, data in files:
        if _extension_of(name) == ARCHIVE:
            expanded = _zip_documents(name, data, limits)
            unpacked += sum(len(content) for _, content in expanded)
            members.extend(expanded)
        else:
            unpacked += len(data)
            members.append((name, data))
        if unpacked > limits.max_total_bytes:
            raise ExplorerError(
                f"The upload unpacks to more than {size_text(limits.max_total_bytes)}, the limit. "
                "Upload fewer or smaller files."
            )
    if len(members) > limits.max_documents:
        raise too_many_documents(f"The upload has {len(members):,} files, so it", limits)

    lines_are_documents = sum(_extension_of(name) == ".txt" for name, _ in members) == 1
    options = ReadOptions(lines_are_documents, limits)
    frames = []
    locators: list[str] = []
    replaced = 0
    for raw_name, data in members:
        name, replaced_in_name = without_surrogates(raw_name)
        frame, file_locators = READERS[_extension_of(name)](name, data, options)
        replaced += replaced_in_name + frame.attrs.get(REPLACED_SURROGATES, 0)
        if SOURCE in frame.columns:
            frame = frame.rename(columns={SOURCE: free_name(SOURCE, frame.columns)})
        frames.append(frame.assign(**{SOURCE: name}))
        locators.extend(file_locators)

    table = pd.concat(frames, ignore_index=True, sort=False).fillna("")
    if len(table) > limits.max_documents:
        raise too_many_documents(f"The upload has {len(table):,} documents, which", limits)
    columns = [column for column in table.columns if column != SOURCE]
    table = table[[*columns, SOURCE]]
    table.index = pd.Index(unique_names(locators))
    table.attrs[REPLACED_SURROGATES] = replaced
    return table


def _zip_documents(name: str, data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    """The files of an uploaded zip that a reader takes, within the upload limits; nested zips,
    hidden files and paths outside the archive are skipped."""
    members = read_members(
        name, data, limits, keep=lambda path: PurePosixPath(path).suffix.lower() in READERS
    )
    if not members:
        raise ExplorerError(
            f"{name} contains no files that can be read. Supported inside a zip: "
            f"{', '.join(READERS)} (nested zips, hidden files and "
            "paths outside the archive such as ../ are skipped)."
        )
    return members


def replaced_note(table: pd.DataFrame) -> str:
    """A sentence for the user on the broken characters read_files replaced; empty if none."""
    count = table.attrs.get(REPLACED_SURROGATES, 0)
    if not count:
        return ""
    return (
        f"{count:,} broken character(s) (half of an emoji or another symbol cut in two, as "
        f"exported tweets and chats often hold) are shown as {REPLACEMENT}."
    )


def row_name(locator: object) -> str:
    """A read_files locator as a message names it: 'queries.csv:3' → 'row 3'; JSON Lines
    count lines."""
    file, _, number = str(locator).rpartition(":")
    unit = "line" if file.lower().endswith(".jsonl") else "row"
    return f"{unit} {number}" if number.isdigit() else f"row {locator}"


def read_path(path: str | Path, *, limits: Limits = DEFAULT_LIMITS) -> pd.DataFrame:
    """Like read_files, for one file or a folder on disk (searched recursively, hidden files and
    unsupported types skipped); sizes are checked before anything is read."""
    root = Path(path)
    if root.is_file():
        found = [(root.name, root)]
    elif root.is_dir():
        found = _supported_files(root)
        if not found:
            raise ExplorerError(
                f"The folder {root} holds no supported files. Supported: {_SUPPORTED_TEXT}."
            )
        if len(found) > limits.max_documents:
            raise too_many_documents(f"The folder {root} has {len(found):,} files, so it", limits)
    else:
        raise ExplorerError(f"{root} does not exist. Check the path and try again.")
    check_sizes([(name, file.stat().st_size) for name, file in found], limits)
    return read_files([(name, file.read_bytes()) for name, file in found], limits=limits)


def text_columns(table: pd.DataFrame) -> list[str]:
    """Columns usable as document text, longest mean length first; "source" is never offered."""
    scored = []
    for column in table.columns:
        if column == SOURCE or not _is_text(table[column]):
            continue
        mean_length = table[column].dropna().str.len().mean()
        if mean_length > 0:
            scored.append((mean_length, column))
    return [column for _, column in sorted(scored, key=lambda item: -item[0])]


def label_columns(table: pd.DataFrame) -> list[str]:
    """Columns usable as labels: 2 to min(200, rows/2) distinct non-empty values.

    Best first: label-like names ("topic", "category", ...) before others, fewer distinct values
    before more, and "source" (the file name) last.
    """
    most = min(200, len(table) // 2)
    found = []
    for column in table.columns:
        values = table[column].dropna().astype(str).str.strip()
        distinct = values[values != ""].nunique()
        if 2 <= distinct <= most:
            hinted = any(hint in str(column).lower() for hint in _LABEL_HINTS)
            found.append((column == SOURCE, not hinted, distinct, column))
    return [column for *_, column in sorted(found, key=lambda item: item[:3])]


def build_corpus(
    table: pd.DataFrame,
    text_column: str,
    label_column: str | None = None,
    *,
    coarse_label_column: str | None = None,
    id_column: str | None = None,
    name: str = "upload",
    limits: Limits = DEFAULT_LIMITS,
) -> Corpus:
    """Turn a table into a Corpus: strip texts, drop empty ones, remove control characters, cut
    each text to limits.max_doc_chars (long_documents counts those cut).

    Texts are kept otherwise verbatim (escaping happens at display time). Ids come from id_column,
    else from the table index; repeats get a "#2", "#3", ... suffix. The other columns that
    group or measure the documents (the label columns among them) are kept as `columns`.
    """
    roles = {
        "text": text_column,
        "label": label_column,
        "coarse label": coarse_label_column,
        "id": id_column,
    }
    for role, column in roles.items():
        if column is not None and column not in table.columns:
            available = ", ".join(repr(str(c)) for c in table.columns)
            raise ExplorerError(
                f"There is no column named {column!r} to use as the {role}. "
                f"Available columns: {available}."
            )
    if not _is_text(table[text_column]):
        suggestions = ", ".join(repr(str(c)) for c in text_columns(table)[:3]) or "none found"
        raise ExplorerError(
            f"Column {text_column!r} does not hold text (its type is {table[text_column].dtype}). "
            f"Choose a text column instead (suggestions: {suggestions})."
        )

    texts = [_clean(value)[: limits.max_doc_chars] for value in table[text_column]]
    keep = [row for row, text in enumerate(texts) if text]
    if len(keep) < _MIN_DOCUMENTS:
        raise ExplorerError(
            f"Only {len(keep)} row(s) have text in column {text_column!r}; at least "
            f"{_MIN_DOCUMENTS} documents are needed. Choose another column or add documents."
        )

    def kept(column: str | None) -> tuple[str, ...] | None:
        if column is None:
            return None
        values = [_clean(value) for value in table[column]]
        return tuple(values[row] for row in keep)

    locators = [str(index) for index in table.index]
    given = [_clean(value) for value in table[id_column]] if id_column else [""] * len(texts)
    names = [given[row] or locators[row] for row in range(len(texts))]
    return Corpus(
        name=name,
        texts=tuple(texts[row] for row in keep),
        ids=tuple(unique_names([names[row] for row in keep])),
        labels=kept(label_column),
        coarse_labels=kept(coarse_label_column),
        columns=table_columns(table, keep, skip=(text_column, id_column)),
        empty_ids=tuple(names[row] for row, text in enumerate(texts) if not text),
    )


def colour_columns(corpus: Corpus) -> dict[str, Column]:
    """The columns a map can be coloured by, by name: the uploaded table's, or for a corpus
    without them (built in code, opened from a project) its labels."""
    if corpus.columns:
        return {column.name: column for column in corpus.columns}
    given = {"label": corpus.labels, "coarse label": corpus.coarse_labels}
    return {name: categorical_column(name, values) for name, values in given.items() if values}


def long_documents(table: pd.DataFrame, text_column: str, limits: Limits = DEFAULT_LIMITS) -> int:
    """How many texts of the column build_corpus will cut to limits.max_doc_chars."""
    return int((table[text_column].astype(str).str.len() > limits.max_doc_chars).sum())


def load_demo_corpus() -> Corpus:
    """The built-in demo corpus (topics as labels, themes as coarse labels)."""
    table = read_files([(DEMO_CORPUS_PATH.name, DEMO_CORPUS_PATH.read_bytes())])
    return build_corpus(
        table, "text", "topic", coarse_label_column="theme", id_column="id", name="demo"
    )


def corpus_name(file_names: Sequence[str]) -> str:
    """A short filename-safe name for an upload: the first file's stem, plus "-plusN" for N more
    files, limited to [A-Za-z0-9_-] and 40 characters."""
    if not file_names:
        return "upload"
    stem = PurePosixPath(file_names[0].replace("\\", "/")).stem
    base = _UNSAFE_NAME_CHARS.sub("_", stem).strip("_-") or "upload"
    suffix = f"-plus{len(file_names) - 1}" if len(file_names) > 1 else ""
    return base[: _MAX_NAME_CHARS - len(suffix)].rstrip("_-") + suffix


def _supported_files(root: Path) -> list[tuple[str, Path]]:
    """Supported, non-hidden files under root, as (relative posix name, path), in sorted order."""
    found = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(".") and d != "__MACOSX")
        for file_name in sorted(files):
            if file_name.startswith("."):
                continue
            if Path(file_name).suffix.lower() in SUPPORTED_EXTENSIONS:
                path = Path(folder) / file_name
                found.append((path.relative_to(root).as_posix(), path))
    return found


def _extension_of(name: str) -> str:
    """The lower-cased extension of a supported file name; anything else is refused."""
    extension = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise ExplorerError(
            f"{name} has an unsupported file type ({extension or 'no extension'}). "
            f"Supported: {_SUPPORTED_TEXT}."
        )
    return extension


def _is_text(series: pd.Series) -> bool:
    """Whether a column holds strings (a string dtype, or objects that are all str or missing)."""
    if series.dtype == object:
        return bool(series.dropna().map(lambda value: isinstance(value, str)).all())
    return pd.api.types.is_string_dtype(series.dtype)


def _clean(value: object) -> str:
    """Cell text without control characters (except newline and tab) or surrounding space."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return ""
    return _CONTROL_CHARS.sub("", str(value)).strip()
