"""Rich documents, one document per file: PDF (its text layer, via pypdf), Word .docx (via
python-docx) and HTML (the visible text, via the standard library's HTML parser)."""

from __future__ import annotations

import io
import re
import zipfile
from html.parser import HTMLParser

from core.io.decode import decode_text
from core.io.formats.options import Parsed, ReadOptions, text_table
from core.io.zip_members import declared_entries
from core.runtime.errors import ExplorerError
from core.runtime.units import size_text

MAX_PDF_PAGES = 2_000
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def _one_document(name: str, text: str, what: str) -> Parsed:
    text = _BLANK_LINES.sub("\n\n", _SPACES.sub(" ", text)).strip()
    if not text:
        raise ExplorerError(f"{name} has no text {what}.")
    return text_table([{"text": text}]), [name]


def read_pdf(name: str, data: bytes, options: ReadOptions) -> Parsed:
    """The PDF's text layer, page by page, up to the document length limit."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ExplorerError(f"{name} is password-protected. Upload it without a password.")
        if len(reader.pages) > MAX_PDF_PAGES:
            raise ExplorerError(
                f"{name} has {len(reader.pages):,} pages; the limit is {MAX_PDF_PAGES:,}. "
                "Split it or keep the part you need."
            )
        pages, length = [], 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            length += len(pages[-1])
            if length >= options.limits.max_read_chars:
                break
    except ExplorerError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError):
        raise ExplorerError(f"{name} is not a readable PDF. Re-save or re-export it.") from None
    return _one_document(
        name, "\n\n".join(pages), "layer (a scanned PDF holds images only; run OCR on it first)"
    )


def read_docx(name: str, data: bytes, options: ReadOptions) -> Parsed:
    """The paragraphs and table cells of a Word document, in order of the body."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml.etree import LxmlError

    _check_package(name, data, options)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                blocks.extend(" | ".join(c.text for c in row.cells) for row in block.rows)
            else:
                blocks.append(block.text)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, LxmlError):
        raise ExplorerError(
            f"{name} is not a readable Word (.docx) document. Re-save it."
        ) from None
    return _one_document(name, "\n\n".join(blocks), "(the document is empty)")


def _check_package(name: str, data: bytes, options: ReadOptions) -> None:
    """A .docx is a zip: bound its entry count and unpacked size before python-docx opens it."""
    limits = options.limits
    entries = declared_entries(data)
    if entries is not None and entries > limits.max_zip_entries:
        raise ExplorerError(f"{name} declares {entries:,} parts; it looks damaged or crafted.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(info.file_size for info in package.infolist())
    except zipfile.BadZipFile:
        raise ExplorerError(
            f"{name} is not a readable Word (.docx) document. Re-save it."
        ) from None
    if unpacked > limits.max_zip_uncompressed:
        raise ExplorerError(
            f"{name} unpacks to {size_text(unpacked)}; the limit is "
            f"{size_text(limits.max_zip_uncompressed)}."
        )


class _VisibleText(HTMLParser):
    """Collects the text a browser shows: no scripts, styles, templates or head; block
    elements start new lines."""

    HIDDEN = frozenset({"script", "style", "noscript", "template", "svg", "iframe"})
    BLOCKS = frozenset(
        [
            "address",
            "article",
            "aside",
            "blockquote",
            "br",
            "dd",
            "div",
            "dl",
            "dt",
            "figcaption",
            "figure",
            "footer",
            "form",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "header",
            "hr",
            "li",
            "main",
            "nav",
            "ol",
            "p",
            "pre",
            "section",
            "table",
            "td",
            "th",
            "tr",
            "ul",
        ]
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._in_head = False  # until </head> or <body>, as browsers imply a missing </head>

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in ("head", "body"):
            self._in_head = tag == "head"
        elif tag in self.HIDDEN:
            self._hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False
        elif tag in self.HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden and not self._in_head:
            self.parts.append(data)


def read_html(name: str, data: bytes, options: ReadOptions) -> Parsed:
    """The visible text of an HTML page (markup, scripts and styles removed), one paragraph per
    block of text."""
    parser = _VisibleText()
    parser.feed(decode_text(name, data))
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return _one_document(
        name, "\n\n".join(line for line in lines if line), "that a browser would show"
    )
