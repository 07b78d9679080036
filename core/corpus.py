"""Load documents from uploaded files or from disk into a table, and from a table into a Corpus.

Every size, count and zip expansion is bounded by Limits so that a hostile or accidental upload
cannot exhaust memory; every problem a user can fix raises ExplorerError naming the file.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pandas as pd

from core.errors import ExplorerError

_MB = 1024 * 1024
_ZIP_CHUNK = 64 * 1024
_MIN_DOCUMENTS = 3
_MAX_NAME_CHARS = 40
_MAX_CONTROL_RATIO = 0.05
_BINARY_SAMPLE_CHARS = 65_536

SOURCE = "source"
DEMO_CORPUS_PATH = Path(__file__).parent / "data" / "demo_corpus.csv"
SUPPORTED_EXTENSIONS = (
    ".txt",
    ".md",
    ".markdown",
    ".csv",
    ".tsv",
    ".jsonl",
    ".ndjson",
    ".json",
    ".zip",
)
_SUPPORTED_TEXT = ", ".join(SUPPORTED_EXTENSIONS)
_ZIP_MEMBER_TEXT = ", ".join(e for e in SUPPORTED_EXTENSIONS if e != ".zip")
_JSON_WRAPPER_KEYS = ("data", "records", "documents")
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
_BINARY_SIGNATURES = {
    b"%PDF-": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"PK\x03\x04": "a zip archive or an Office document",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "a program",
}
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BINARY_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_NONBLANK_LINE = re.compile(r"^[^\S\n]*\S", re.MULTILINE)
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
_DRIVE_PREFIX = re.compile(r"^[A-Za-z]:")


@dataclass(frozen=True)
class Limits:
    """Upper bounds on what one upload may contain; longer documents are truncated, not rejected."""

    max_file_bytes: int = 50 * _MB
    max_total_bytes: int = 200 * _MB
    max_documents: int = 50_000
    max_doc_chars: int = 20_000
    max_zip_members: int = 2_000
    max_zip_uncompressed: int = 200 * _MB


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Corpus:
    """Documents with unique stable ids and optional fine and coarse (parent) labels."""

    name: str
    texts: tuple[str, ...]
    ids: tuple[str, ...]
    labels: tuple[str, ...] | None = None
    coarse_labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        sizes = {len(self.ids)} | {
            len(x) for x in (self.labels, self.coarse_labels) if x is not None
        }
        if sizes != {len(self.texts)}:
            raise ValueError("Corpus ids and labels must have one entry per text")
        if len(set(self.ids)) != len(self.ids):
            raise ValueError("Corpus ids must be unique")

    def __len__(self) -> int:
        return len(self.texts)


def read_files(
    files: Sequence[tuple[str, bytes]], *, limits: Limits = DEFAULT_LIMITS
) -> pd.DataFrame:
    """Parse uploaded (name, raw bytes) pairs into one table of string columns plus "source".

    Missing values are "". The index holds a stable locator per row ("notes.txt:12", "a.md",
    "data.csv:3"), which build_corpus uses as the document id when no id column is chosen.
    """
    if not files:
        raise ExplorerError(f"No files were given. Upload at least one file ({_SUPPORTED_TEXT}).")
    for name, _ in files:
        _extension_of(name)
    _check_sizes([(name, len(data)) for name, data in files], limits)

    members: list[tuple[str, bytes]] = []
    unpacked = 0
    for name, data in files:
        if _extension_of(name) == ".zip":
            expanded = _expand_zip(name, data, limits)
            unpacked += sum(len(content) for _, content in expanded)
            members.extend(expanded)
        else:
            unpacked += len(data)
            members.append((name, data))
        if unpacked > limits.max_total_bytes:
            raise ExplorerError(
                f"The upload unpacks to more than {_size(limits.max_total_bytes)}, the limit. "
                "Upload fewer or smaller files."
            )
    if len(members) > limits.max_documents:
        raise _too_many_documents(f"The upload has {len(members):,} files, so it", limits)

    lines_are_documents = sum(_extension_of(name) == ".txt" for name, _ in members) == 1
    frames = []
    locators: list[str] = []
    for name, data in members:
        frame, file_locators = _parse(name, data, lines_are_documents, limits)
        if SOURCE in frame.columns:
            frame = frame.rename(columns={SOURCE: _free_name(SOURCE, frame.columns)})
        frames.append(frame.assign(**{SOURCE: name}))
        locators.extend(file_locators)

    table = pd.concat(frames, ignore_index=True, sort=False).fillna("")
    if len(table) > limits.max_documents:
        raise _too_many_documents(f"The upload has {len(table):,} documents, which", limits)
    columns = [column for column in table.columns if column != SOURCE]
    for column in columns:
        table[column] = table[column].str.slice(0, limits.max_doc_chars)
    table = table[[*columns, SOURCE]]
    table.index = pd.Index(_unique(locators))
    return table


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
            raise _too_many_documents(f"The folder {root} has {len(found):,} files, so it", limits)
    else:
        raise ExplorerError(f"{root} does not exist. Check the path and try again.")
    _check_sizes([(name, file.stat().st_size) for name, file in found], limits)
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
) -> Corpus:
    """Turn a table into a Corpus: strip texts, drop empty ones, remove control characters.

    Texts are kept otherwise verbatim (escaping happens at display time). Ids come from id_column,
    else from the table index; repeats get a "#2", "#3", ... suffix.
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

    texts = [_clean(value) for value in table[text_column]]
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
    given = kept(id_column)
    ids = _unique([(given[i] if given else "") or locators[row] for i, row in enumerate(keep)])
    return Corpus(
        name=name,
        texts=tuple(texts[row] for row in keep),
        ids=tuple(ids),
        labels=kept(label_column),
        coarse_labels=kept(coarse_label_column),
    )


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


def _parse(
    name: str, data: bytes, lines_are_documents: bool, limits: Limits
) -> tuple[pd.DataFrame, list[str]]:
    """One file's rows and their locators, by extension."""
    extension = _extension_of(name)
    text = _decode(name, data)
    if extension == ".txt" and lines_are_documents:
        return _parse_lines(name, text, limits)
    if extension in (".txt", ".md", ".markdown"):
        return pd.DataFrame({"text": [text]}), [name]
    if extension in (".csv", ".tsv"):
        return _parse_table(name, text, "\t" if extension == ".tsv" else None, limits)
    if extension in (".jsonl", ".ndjson"):
        return _parse_json_lines(name, text, limits)
    return _parse_json(name, text, limits)


def _parse_lines(name: str, text: str, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    """One document per non-blank line; counted before splitting so huge files fail cheaply."""
    _check_document_count(name, len(_NONBLANK_LINE.findall(text)), limits)
    lines = [(number, line) for number, line in enumerate(text.split("\n"), 1) if line.strip()]
    frame = pd.DataFrame({"text": [line for _, line in lines]})
    return frame, [f"{name}:{number}" for number, _ in lines]


def _parse_table(
    name: str, text: str, delimiter: str | None, limits: Limits
) -> tuple[pd.DataFrame, list[str]]:
    """A CSV/TSV file with a header row, every column read as text."""
    delimiter = delimiter or _guess_delimiter(text)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as error:
        raise ExplorerError(
            f"{name} could not be read as a table: {error}. Check that every row has as many "
            "fields as the header and that quotes are balanced."
        ) from None
    if not isinstance(frame.index, pd.RangeIndex):
        raise ExplorerError(
            f"{name}: the data rows have more fields than the header row. "
            "Add the missing column names to the first line."
        )
    if frame.empty:
        raise ExplorerError(f"{name} has no data rows below its header. Add some rows.")
    _check_document_count(name, len(frame), limits)
    frame.columns = _unique([str(column).strip() for column in frame.columns])
    return frame.fillna(""), [f"{name}:{row}" for row in range(1, len(frame) + 1)]


def _guess_delimiter(text: str) -> str:
    """Comma unless the header line has none and clearly uses ';', tab or '|' instead."""
    header = text.split("\n", 1)[0]
    if "," in header:
        return ","
    counts = {delimiter: header.count(delimiter) for delimiter in ";\t|"}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _parse_json_lines(name: str, text: str, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    """One JSON object or string per non-blank line."""
    _check_document_count(name, len(_NONBLANK_LINE.findall(text)), limits)
    values = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            values.append((number, json.loads(line)))
        except (json.JSONDecodeError, RecursionError) as error:
            reason = error.msg if isinstance(error, json.JSONDecodeError) else "nested too deeply"
            raise ExplorerError(
                f"{name}, line {number}: not valid JSON ({reason}). "
                "Each line must hold one JSON object or string."
            ) from None
    return _records(name, values, "line")


def _parse_json(name: str, text: str, limits: Limits) -> tuple[pd.DataFrame, list[str]]:
    """A list of objects or strings, optionally wrapped as {"data"|"records"|"documents": [...]}."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        hint = (
            " It looks like JSON Lines (one value per line); rename it to .jsonl."
            if error.msg == "Extra data"
            else ""
        )
        raise ExplorerError(
            f"{name} is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}.{hint}"
        ) from None
    except RecursionError:
        raise ExplorerError(f"{name} is nested too deeply to read as JSON.") from None
    if isinstance(value, dict):
        value = next(
            (value[key] for key in _JSON_WRAPPER_KEYS if isinstance(value.get(key), list)), value
        )
    if not isinstance(value, list):
        wrappers = " or ".join(f'{{"{key}": [...]}}' for key in _JSON_WRAPPER_KEYS)
        raise ExplorerError(
            f"{name} holds {_json_kind(value)}, but a list of records (objects) or a list of "
            f"strings is needed, optionally wrapped as {wrappers}."
        )
    if not value:
        raise ExplorerError(f"{name} holds an empty list, so there are no documents.")
    _check_document_count(name, len(value), limits)
    return _records(name, list(enumerate(value, 1)), "item")


def _records(
    name: str, values: list[tuple[int, object]], unit: str
) -> tuple[pd.DataFrame, list[str]]:
    """Rows from numbered JSON values: objects become columns, strings become "text"."""
    rows = []
    for number, value in values:
        if isinstance(value, str):
            rows.append({"text": value})
        elif isinstance(value, dict):
            rows.append({key: _json_text(item) for key, item in value.items()})
        else:
            raise ExplorerError(
                f"{name}, {unit} {number}: expected a JSON object or string but found "
                f"{_json_kind(value)}."
            )
    return pd.DataFrame(rows).fillna(""), [f"{name}:{number}" for number, _ in values]


def _json_text(value: object) -> str:
    """A JSON value as cell text: strings as-is, null as "", anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False)


def _json_kind(value: object) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    return "null" if value is None else kinds.get(type(value), "a number")


def _decode(name: str, data: bytes) -> str:
    """Text from bytes: UTF-8 (BOM optional), UTF-16 with BOM, else cp1252/latin-1; newlines
    normalised to "\\n". Binary data is refused rather than turned into garbage documents."""
    if not data.strip():
        raise ExplorerError(f"{name} is empty. Upload a file that contains documents.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise _binary(name, "its UTF-16 text is damaged") from None
    else:
        kind = next((k for sig, k in _BINARY_SIGNATURES.items() if data.startswith(sig)), None)
        if kind:
            raise _binary(name, f"it is {kind}")
        if b"\x00" in data:
            raise _binary(name, "it contains NUL bytes")
        text = _decode_8bit(data)
    sample = text[:_BINARY_SAMPLE_CHARS]
    if "\x00" in sample:
        raise _binary(name, "it contains NUL characters")
    if len(_BINARY_CONTROL_CHARS.findall(sample)) > _MAX_CONTROL_RATIO * len(sample):
        raise _binary(name, "it is mostly non-printable characters")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ExplorerError(f"{name} is empty. Upload a file that contains documents.")
    return text


def _decode_8bit(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1")


def _binary(name: str, reason: str) -> ExplorerError:
    return ExplorerError(
        f"{name} looks like a binary file ({reason}), not text. Save the documents as UTF-8 text "
        f"in one of: {_SUPPORTED_TEXT}."
    )


def _expand_zip(name: str, data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    """The supported members of a zip, read in memory with sizes checked from the headers and
    again while decompressing; unsafe paths, hidden files, folders and nested zips are skipped."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ExplorerError(f"{name} is not a readable zip archive. Re-create the zip.") from None
    with archive:
        members = [
            (member_name, info)
            for info in archive.infolist()
            if (member_name := _safe_member_name(info)) is not None
        ]
        if not members:
            raise ExplorerError(
                f"{name} contains no files that can be read. Supported inside a zip: "
                f"{_ZIP_MEMBER_TEXT} (nested zips, hidden files and "
                "paths outside the archive such as ../ are skipped)."
            )
        if len(members) > limits.max_zip_members:
            raise ExplorerError(
                f"{name} holds {len(members):,} files; the limit is {limits.max_zip_members:,} "
                "per zip. Split it into several zips."
            )
        declared = sum(info.file_size for _, info in members)
        if declared > limits.max_zip_uncompressed:
            raise ExplorerError(
                f"{name} unpacks to {_size(declared)}; the limit is "
                f"{_size(limits.max_zip_uncompressed)}. Zip fewer or smaller files."
            )
        expanded = []
        budget = limits.max_zip_uncompressed
        for member_name, info in members:
            if info.file_size > limits.max_file_bytes:
                raise _too_large(f"{name}: {member_name}", info.file_size, limits.max_file_bytes)
            content = _read_member(name, archive, info, min(info.file_size, budget))
            budget -= len(content)
            expanded.append((member_name, content))
    return expanded


def _safe_member_name(info: zipfile.ZipInfo) -> str | None:
    """The member's path if it is a supported, non-hidden file inside the archive, else None."""
    path = info.filename.replace("\\", "/")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if info.is_dir() or path.endswith("/") or not parts:
        return None
    if path.startswith("/") or _DRIVE_PREFIX.match(path) or ".." in parts:
        return None
    if parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts):
        return None
    extension = PurePosixPath(parts[-1]).suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS or extension == ".zip":
        return None
    return "/".join(parts)


def _read_member(name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Decompress one member in chunks, stopping as soon as it exceeds cap bytes."""
    if info.flag_bits & 0x1:
        raise ExplorerError(
            f"{name}: {info.filename} is password-protected. Zip the files without a password."
        )
    chunks = []
    size = 0
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_ZIP_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise ExplorerError(
                        f"{name}: {info.filename} unpacks to more data than the archive declares "
                        f"or allows (over {_size(cap)}). The zip looks damaged or crafted; "
                        "re-create it."
                    )
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
        raise ExplorerError(
            f"{name}: {info.filename} could not be unpacked ({error}). Re-create the zip."
        ) from None
    return b"".join(chunks)


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


def _check_sizes(sizes: list[tuple[str, int]], limits: Limits) -> None:
    for name, size in sizes:
        if size > limits.max_file_bytes:
            raise _too_large(name, size, limits.max_file_bytes)
    total = sum(size for _, size in sizes)
    if total > limits.max_total_bytes:
        raise ExplorerError(
            f"The files total {_size(total)}; the limit is {_size(limits.max_total_bytes)} per "
            "upload. Use fewer or smaller files."
        )


def _too_large(name: str, size: int, limit: int) -> ExplorerError:
    return ExplorerError(
        f"{name} is {_size(size)}; the limit is {_size(limit)} per file. "
        "Split it or keep a sample of it."
    )


def _check_document_count(name: str, count: int, limits: Limits) -> None:
    if count > limits.max_documents:
        raise _too_many_documents(f"{name} has {count:,} documents, which", limits)


def _too_many_documents(what: str, limits: Limits) -> ExplorerError:
    return ExplorerError(
        f"{what} is more than the limit of {limits.max_documents:,} documents. "
        "Split the data or keep a sample of it."
    )


def _size(n: int) -> str:
    return f"{n / _MB:,.1f} MB" if n >= _MB // 10 else f"{n:,} bytes"


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


def _unique(names: list[str]) -> list[str]:
    """The names with repeats renamed "name#2", "name#3", ... avoiding every name in use."""
    used = set(names)
    seen: set[str] = set()
    result = []
    for name in names:
        unique = name
        if name in seen:
            number = 2
            while f"{name}#{number}" in used:
                number += 1
            unique = f"{name}#{number}"
            used.add(unique)
        seen.add(unique)
        result.append(unique)
    return result


def _free_name(name: str, taken: pd.Index) -> str:
    """name.1, name.2, ... whichever is first not among taken."""
    number = 1
    while f"{name}.{number}" in taken:
        number += 1
    return f"{name}.{number}"
