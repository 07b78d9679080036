"""Rich documents, one document per file: PDF (its text layer, via pypdf), Word .docx (via
python-docx) and HTML (the visible text, via lxml's HTML parser)."""

from __future__ import annotations

import io
import re
import zipfile

from core.io.archive import Archive
from core.io.decode import decode_text
from core.io.formats.options import Parsed, ReadOptions, text_table
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
    with Archive(
        name,
        data,
        limits.max_zip_entries,
        advice="It looks damaged or crafted.",
        unreadable="is not a readable Word (.docx) document. Re-save it.",
    ) as package:
        unpacked = package.unpacked_size()
    if unpacked > limits.max_zip_uncompressed:
        raise ExplorerError(
            f"{name} unpacks to {size_text(unpacked)}; the limit is "
            f"{size_text(limits.max_zip_uncompressed)}."
        )


# What a browser does not show (the head holds the title and metadata), and the elements that
# start a new line of text.
_HIDDEN = frozenset({"head", "script", "style", "noscript", "template", "svg", "iframe"})
_BLOCKS = frozenset(
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


def read_html(name: str, data: bytes, options: ReadOptions) -> Parsed:
    """The visible text of an HTML page (markup, comments, scripts and styles removed, entities
    decoded), one paragraph per block of text. lxml's parser repairs broken markup as a browser
    would (a missing </head>, stray text in the head); a page nested deeper than it parses is
    refused rather than cut short."""
    from lxml import etree, html

    parser = html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True
    )
    root = etree.fromstring(decode_text(name, data).encode("utf-8"), parser)
    if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
        raise ExplorerError(
            f"{name} nests its elements too deeply to read; it looks damaged or crafted."
        )
    parts: list[str] = []
    walker = etree.iterwalk(root, events=("start", "end")) if root is not None else ()
    for event, element in walker:
        if event == "start":
            if element.tag in _BLOCKS:
                parts.append("\n")
            if element.tag in _HIDDEN:
                walker.skip_subtree()
            elif element.text:
                parts.append(element.text)
        else:
            if element.tag in _BLOCKS:
                parts.append("\n")
            if element.tail:
                parts.append(element.tail)
    lines = (line.strip() for line in "".join(parts).split("\n"))
    return _one_document(
        name, "\n\n".join(line for line in lines if line), "that a browser would show"
    )
