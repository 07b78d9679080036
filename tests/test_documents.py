"""PDF, Word and HTML uploads: files made in the test, read as one document each; broken,
empty and hostile ones refused with the project's error."""

from __future__ import annotations

import io

import pytest

from core.io.corpus import Limits, read_files
from core.runtime.errors import ExplorerError
from tests.support import zip_of


def pdf_with_text(*pages: str) -> bytes:
    """A minimal PDF whose pages show the given lines in Helvetica (offsets computed, so any
    reader can use its cross-reference table)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>")
    objects.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for i, text in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i} 0 R "
            "/Resources << /Font << /F1 3 0 R >> >> >>"
        )
        objects.append(f"<< /Length {len(content)} >>\nstream\n{content.decode()}\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n{body}\nendobj\n".encode())
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Quarterly <b>report</b>", level=1)
    document.add_paragraph("Sales grew in the north & the south.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "region"
    table.rows[0].cells[1].text = "growth"
    document.add_paragraph("Closing words.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_pdf_text_layer_is_one_document_with_its_pages_in_order():
    table = read_files([("paper.pdf", pdf_with_text("Matryoshka nesting", "Second page"))])
    assert table.index.tolist() == ["paper.pdf"]
    text = table["text"].iloc[0]
    assert "Matryoshka nesting" in text and "Second page" in text
    assert text.index("Matryoshka") < text.index("Second")


def test_pdf_without_a_text_layer_says_so():
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ExplorerError, match=r"scan\.pdf has no text layer.*OCR"):
        read_files([("scan.pdf", out.getvalue())])


def test_password_protected_pdf_is_refused_clearly():
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_text("secret"))))
    writer.encrypt("pw", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ExplorerError, match="locked.pdf is password-protected"):
        read_files([("locked.pdf", out.getvalue())])


@pytest.mark.parametrize(
    "data", [b"%PDF-1.4\n1 0 obj << /Type /Catalog", b"not a pdf at all", b"\x00" * 100]
)
def test_broken_pdf_is_refused_with_the_projects_error(data):
    with pytest.raises(ExplorerError, match=r"broken\.pdf is not a readable PDF"):
        read_files([("broken.pdf", data)])


def test_docx_paragraphs_and_tables_are_read_in_body_order():
    text = read_files([("report.docx", docx_bytes())])["text"].iloc[0]
    assert text.split("\n\n") == [
        "Quarterly <b>report</b>",  # kept as written; the pages escape it when showing it
        "Sales grew in the north & the south.",
        "region | growth",
        "Closing words.",
    ]


@pytest.mark.parametrize("data", [b"PK\x03\x04 truncated", zip_of({"a.txt": b"not word"})])
def test_broken_docx_is_refused_with_the_projects_error(data):
    with pytest.raises(ExplorerError, match=r"bad\.docx is not a readable Word"):
        read_files([("bad.docx", data)])


def test_docx_that_unpacks_past_the_limit_is_refused_before_parsing():
    with pytest.raises(ExplorerError, match=r"big\.docx unpacks to .* the limit is"):
        read_files([("big.docx", docx_bytes())], limits=Limits(max_zip_uncompressed=1_000))


HTML = b"""<!doctype html><html><head><title>Tab title</title>
<style>body { color: red }</style><script>alert("x")</script></head>
<body><h1>Solar flares</h1><p>Bursts of&nbsp;radiation &amp; particles.</p>
<noscript>Enable JS</noscript><ul><li>first</li><li>second</li></ul>
<script type="module">document.write("hidden")</script><p>Tail &lt;b&gt; text</p></body></html>"""


def test_html_gives_the_visible_text_only():
    text = read_files([("page.html", HTML)])["text"].iloc[0]
    assert text.split("\n\n") == [
        "Solar flares",
        "Bursts of radiation & particles.",
        "first",
        "second",
        "Tail <b> text",
    ]


def test_html_without_a_closing_head_still_shows_the_body():
    page = b"<html><head><title>t</title><body><p>Body text</p>"
    assert read_files([("a.htm", page)])["text"].tolist() == ["Body text"]


def test_html_comments_declarations_and_entities_leave_only_the_text():
    page = (
        b"<?xml version='1.0' encoding='iso-8859-1'?><!DOCTYPE html><!-- top -->"
        b"<p>caf&eacute; &#8364;5 <!-- <p>inside</p> -->&amp;&lt;i&gt;</p><?php echo 1; ?>"
    )
    assert read_files([("x.xhtml.html", page)])["text"].tolist() == ["café €5 &<i>"]


def test_html_text_stray_in_the_head_is_shown_as_a_browser_shows_it():
    page = b"<html><head><title>t</title>Stray words</head><body><p>Body</p></body></html>"
    assert read_files([("a.html", page)])["text"].tolist() == ["Stray words\n\nBody"]


def test_html_nested_deeper_than_the_parser_reads_is_refused_not_cut_short():
    page = b"<p>start</p>" + b"<div>" * 5_000 + b"deep" + b"</div>" * 5_000
    with pytest.raises(ExplorerError, match=r"deep\.html nests its elements too deeply"):
        read_files([("deep.html", page)])


def test_html_with_nothing_visible_is_refused():
    with pytest.raises(ExplorerError, match=r"empty\.html has no text that a browser would show"):
        read_files([("empty.html", b"<html><script>var a = 1;</script></html>")])


def test_utf16_html_with_a_bom_is_decoded():
    page = "<p>Zürich café</p>".encode("utf-16")
    assert read_files([("utf16.html", page)])["text"].tolist() == ["Zürich café"]


def test_rich_documents_inside_a_zip_are_read_as_if_uploaded():
    archive = zip_of(
        {
            "docs/a.pdf": pdf_with_text("From the PDF"),
            "docs/b.docx": docx_bytes(),
            "docs/c.html": b"<p>From the page</p>",
        }
    )
    table = read_files([("bundle.zip", archive)])
    assert table["source"].tolist() == ["docs/a.pdf", "docs/b.docx", "docs/c.html"]
    assert "From the PDF" in table["text"].iloc[0]
    assert table["text"].iloc[2] == "From the page"
