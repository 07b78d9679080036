"""Plain text and Markdown: one document per non-blank line, or one per file."""

from __future__ import annotations

import re

from core.io.decode import decode_text
from core.io.formats.options import Parsed, ReadOptions, text_table
from core.runtime.limits import check_document_count

NONBLANK_LINE = re.compile(r"^[^\S\n]*\S", re.MULTILINE)


def read_text(name: str, data: bytes, options: ReadOptions) -> Parsed:
    """A lone .txt file holds one document per line; otherwise each file is one document."""
    text = decode_text(name, data)
    if options.lines_are_documents:
        return _lines(name, text, options)
    return text_table([{"text": text}]), [name]


def read_markdown(name: str, data: bytes, options: ReadOptions) -> Parsed:
    """One document per Markdown file."""
    return text_table([{"text": decode_text(name, data)}]), [name]


def _lines(name: str, text: str, options: ReadOptions) -> Parsed:
    """One document per non-blank line; counted before splitting so huge files fail cheaply."""
    check_document_count(name, len(NONBLANK_LINE.findall(text)), options.limits)
    lines = [(number, line) for number, line in enumerate(text.split("\n"), 1) if line.strip()]
    frame = text_table([{"text": line} for _, line in lines])
    return frame, [f"{name}:{number}" for number, _ in lines]
