"""One reader per document format, chosen by file extension."""

from __future__ import annotations

from collections.abc import Callable

from core.io.formats.delimited import read_csv, read_tsv
from core.io.formats.documents import read_docx, read_html, read_pdf
from core.io.formats.json_records import read_json, read_json_lines
from core.io.formats.options import Parsed, ReadOptions
from core.io.formats.text import read_markdown, read_text

Reader = Callable[[str, bytes, ReadOptions], Parsed]

READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".csv": read_csv,
    ".tsv": read_tsv,
    ".jsonl": read_json_lines,
    ".ndjson": read_json_lines,
    ".json": read_json,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
}
ARCHIVE = ".zip"
SUPPORTED_EXTENSIONS = (*READERS, ARCHIVE)
