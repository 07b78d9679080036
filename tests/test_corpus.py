"""Tests for core.io.corpus: parsing each format, building corpora, and refusing bad input."""

from __future__ import annotations

import io
import json
import os
import struct
import tracemalloc
import zipfile

import pandas as pd
import pytest

from core.io import corpus
from core.io.archive import declared_entries, listed_entries
from core.io.corpus import (
    Corpus,
    Limits,
    build_corpus,
    corpus_name,
    label_columns,
    load_demo_corpus,
    long_documents,
    read_files,
    read_path,
    text_columns,
)
from core.runtime.errors import ExplorerError
from core.runtime.limits import DEFAULT_LIMITS
from core.runtime.units import MB
from tests.support import UNLISTED_PEAK, crowded_zip, refused_unlisted, zip_of

HOSTILE = '<script>alert(1)</script> <img src=x onerror="alert(2)"> &amp; {{7*7}}'
PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06"


def table_of(**columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns)


# Formats


def test_single_txt_gives_one_document_per_nonblank_line_with_line_ids() -> None:
    table = read_files([("notes.txt", b"first line\n\n  \nsecond line\r\nthird\n")])
    assert table["text"].tolist() == ["first line", "second line", "third"]
    assert table["source"].tolist() == ["notes.txt"] * 3
    assert table.index.tolist() == ["notes.txt:1", "notes.txt:4", "notes.txt:5"]


def test_several_txt_files_give_one_document_per_file() -> None:
    table = read_files([("a.txt", b"line one\nline two\n"), ("b.txt", b"only line")])
    assert table["text"].tolist() == ["line one\nline two\n", "only line"]
    assert table.index.tolist() == ["a.txt", "b.txt"]


def test_markdown_files_are_one_document_each_case_insensitive_extension() -> None:
    table = read_files([("Readme.MD", b"# Title\n\nBody text."), ("notes.markdown", b"- item")])
    assert table["text"].tolist() == ["# Title\n\nBody text.", "- item"]
    assert table["source"].tolist() == ["Readme.MD", "notes.markdown"]


def test_csv_reads_every_column_as_text_without_guessing_missing_values() -> None:
    data = b'id,score,text\n007,NA,"Hello, world"\n008,,"multi\nline"\n'
    table = read_files([("data.csv", data)])
    assert table.columns.tolist() == ["id", "score", "text", "source"]
    assert table["id"].tolist() == ["007", "008"]
    assert table["score"].tolist() == ["NA", ""]
    assert table["text"].tolist() == ["Hello, world", "multi\nline"]
    assert table.index.tolist() == ["data.csv:1", "data.csv:2"]


def test_csv_with_bom_and_semicolons_is_sniffed() -> None:
    data = "\ufeffname;text\nA;un café\nB;deux\n".encode()
    table = read_files([("euro.csv", data)])
    assert table.columns.tolist() == ["name", "text", "source"]
    assert table["text"].tolist() == ["un café", "deux"]


def test_tsv_splits_on_tabs_only() -> None:
    table = read_files([("data.tsv", b"label\ttext\npos\tgood, really good\nneg\tbad\n")])
    assert table["label"].tolist() == ["pos", "neg"]
    assert table["text"].tolist() == ["good, really good", "bad"]


def test_jsonl_reads_objects_and_strings_and_stringifies_nested_values() -> None:
    lines = [
        {"text": "first", "meta": {"a": [1, 2]}, "n": 3, "flag": True, "gone": None},
        "a bare string",
        {"text": "third", "extra": "x"},
    ]
    data = "\n".join(json.dumps(line) for line in lines[:2]) + "\n\n" + json.dumps(lines[2])
    table = read_files([("rows.ndjson", data.encode())])
    assert table["text"].tolist() == ["first", "a bare string", "third"]
    assert table.loc["rows.ndjson:1", "meta"] == '{"a": [1, 2]}'
    assert table.loc["rows.ndjson:1", "n"] == "3"
    assert table.loc["rows.ndjson:1", "flag"] == "true"
    assert table.loc["rows.ndjson:1", "gone"] == ""
    assert table["extra"].tolist() == ["", "", "x"]
    assert table.index.tolist() == ["rows.ndjson:1", "rows.ndjson:2", "rows.ndjson:4"]


@pytest.mark.parametrize(
    "payload",
    [
        [{"text": "alpha", "label": "x"}, {"text": "beta", "label": "y"}],
        {"data": [{"text": "alpha", "label": "x"}, {"text": "beta", "label": "y"}]},
        {"records": [{"text": "alpha", "label": "x"}, {"text": "beta", "label": "y"}]},
        {"meta": 1, "documents": [{"text": "alpha", "label": "x"}, {"text": "beta", "label": "y"}]},
    ],
)
def test_json_reads_a_list_of_records_bare_or_wrapped(payload: object) -> None:
    table = read_files([("docs.json", json.dumps(payload).encode())])
    assert table["text"].tolist() == ["alpha", "beta"]
    assert table["label"].tolist() == ["x", "y"]
    assert table.index.tolist() == ["docs.json:1", "docs.json:2"]


def test_json_reads_a_list_of_strings_into_text() -> None:
    table = read_files([("docs.json", json.dumps(["one", "two"]).encode())])
    assert table["text"].tolist() == ["one", "two"]


def test_files_with_different_columns_are_concatenated_with_blanks() -> None:
    table = read_files(
        [("a.csv", b"text,label\nhello,x\n"), ("b.jsonl", b'{"text": "hi", "author": "me"}\n')]
    )
    assert table.columns.tolist() == ["text", "label", "author", "source"]
    assert table["label"].tolist() == ["x", ""]
    assert table["author"].tolist() == ["", "me"]
    assert table["source"].tolist() == ["a.csv", "b.jsonl"]


def test_a_source_column_in_the_data_is_renamed_not_overwritten() -> None:
    table = read_files([("news.csv", b"source,text\nReuters,story\n")])
    assert table["source.1"].tolist() == ["Reuters"]
    assert table["source"].tolist() == ["news.csv"]


def test_long_documents_are_cut_when_the_corpus_is_built_not_rejected() -> None:
    limits = Limits(max_doc_chars=100)
    table = read_files([("long.md", b"x" * 500), ("short.md", b"y"), ("b.md", b"z")], limits=limits)
    assert table["text"].str.len().tolist() == [500, 1, 1]  # whole until the corpus is built
    assert long_documents(table, "text", limits) == 1
    assert build_corpus(table, "text", limits=limits).texts == ("x" * 100, "y", "z")


def test_passages_see_the_whole_of_a_long_document() -> None:
    from core.io.passages import split_passages

    words = " ".join(f"w{i}" for i in range(6_000))  # ~40,000 characters, past the 20,000 cut
    table = read_files([("book.md", words.encode()), ("b.md", b"two"), ("c.md", b"three")])
    passages = split_passages(table, "text", words=1_000, limits=DEFAULT_LIMITS)
    assert long_documents(passages, "text") == 0
    corpus = build_corpus(passages, "text")
    assert corpus.texts[5].split()[-1] == "w5999"  # the book's last passage ends with its end


def test_invalid_utf8_falls_back_to_cp1252() -> None:
    table = read_files([("legacy.txt", "café \u2013 naïve\nsecond".encode("cp1252"))])
    assert table["text"].tolist() == ["café \u2013 naïve", "second"]


def test_utf16_with_bom_is_decoded() -> None:
    data = "label\ttext\nx\tgrüße\n".encode("utf-16")
    table = read_files([("excel.tsv", data)])
    assert table["text"].tolist() == ["grüße"]


def test_hostile_html_is_kept_verbatim_through_every_step() -> None:
    rows = [HOSTILE, "second doc", "third doc"]
    for name, data in [
        ("evil.txt", "\n".join(rows).encode()),
        ("evil.jsonl", "\n".join(json.dumps({"text": row}) for row in rows).encode()),
        ("evil.csv", pd.DataFrame({"text": rows}).to_csv(index=False).encode()),
    ]:
        built = build_corpus(read_files([(name, data)]), "text")
        assert built.texts[0] == HOSTILE


# Reading from disk


def test_read_path_reads_a_folder_recursively_skipping_hidden_and_unsupported(tmp_path) -> None:
    (tmp_path / "a.txt").write_text("alpha")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.md").write_text("beta")
    (tmp_path / ".hidden.txt").write_text("secret")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.txt").write_text("secret")
    (tmp_path / "image.png").write_bytes(PNG_HEADER)
    table = read_path(tmp_path)
    assert table["text"].tolist() == ["alpha", "beta"]
    assert table["source"].tolist() == ["a.txt", "sub/b.md"]


def test_read_path_reads_a_single_file(tmp_path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("one\ntwo\n")
    assert read_path(str(path))["text"].tolist() == ["one", "two"]


def test_read_path_missing_path_or_empty_folder_is_explained(tmp_path) -> None:
    with pytest.raises(ExplorerError, match="does not exist"):
        read_path(tmp_path / "nope.csv")
    with pytest.raises(ExplorerError, match="no supported files"):
        read_path(tmp_path)


def test_read_path_checks_sizes_before_reading(tmp_path) -> None:
    (tmp_path / "big.txt").write_bytes(b"x" * 2 * MB)
    with pytest.raises(ExplorerError, match=r"big\.txt is 2 MB; the limit is 1 MB"):
        read_path(tmp_path, limits=Limits(max_file_bytes=MB))


# Column suggestions


def test_text_columns_ranks_long_text_above_short_id_and_skips_numbers_and_source() -> None:
    table = pd.DataFrame(
        {
            "id": ["1", "2", "3"],
            "count": [1, 2, 3],
            "body": ["a fairly long document", "another long document", "and a third one"],
            "source": ["a very long file name indeed.csv"] * 3,
        }
    )
    assert text_columns(table) == ["body", "id"]


def test_label_columns_finds_categorical_columns_label_like_names_first() -> None:
    n = 40
    table = pd.DataFrame(
        {
            "text": [f"document number {i}" for i in range(n)],
            "color": ["red", "green", "blue", "red"] * (n // 4),
            "topic": [f"t{i % 8}" for i in range(n)],
            "constant": ["same"] * n,
            "source": ["a.csv", "b.csv"] * (n // 2),
        }
    )
    assert label_columns(table) == ["topic", "color", "source"]


def test_label_columns_ignores_columns_with_too_many_distinct_values() -> None:
    table = pd.DataFrame({"text": list("abcdef"), "group": list("aabbcc"), "near": list("aabcde")})
    assert label_columns(table) == ["group"]


# Building a corpus


def test_build_corpus_from_csv_uses_label_coarse_label_and_row_ids() -> None:
    data = b"theme,topic,text\nsport,tennis,serve\nsport,golf,putt\nfood,bread,knead\n"
    built = build_corpus(
        read_files([("d.csv", data)]), "text", "topic", coarse_label_column="theme", name="d"
    )
    assert isinstance(built, Corpus)
    assert len(built) == 3
    assert built.name == "d"
    assert built.texts == ("serve", "putt", "knead")
    assert built.labels == ("tennis", "golf", "bread")
    assert built.coarse_labels == ("sport", "sport", "food")
    assert built.ids == ("d.csv:1", "d.csv:2", "d.csv:3")


def test_build_corpus_strips_drops_empty_and_removes_control_characters() -> None:
    table = table_of(
        text=["  a\x00b\x07c\r\n\td  ", "", "   ", "keep\x1b[31m red", "plain", None],
        label=["x", "y", "z", "x", "y", "z"],
    )
    built = build_corpus(table, "text", "label")
    assert built.texts == ("abc\n\td", "keep[31m red", "plain")
    assert built.labels == ("x", "x", "y")
    assert built.ids == ("0", "3", "4")


def test_build_corpus_uses_id_column_and_deduplicates_repeats() -> None:
    table = table_of(id=["a", "a", "b", "a#2", ""], text=["one", "two", "three", "four", "five"])
    built = build_corpus(table, "text", id_column="id")
    assert built.ids == ("a", "a#3", "b", "a#2", "4")


def test_build_corpus_refuses_a_missing_column() -> None:
    table = table_of(text=["a", "b", "c"])
    with pytest.raises(ExplorerError, match=r"no column named 'body'.*Available columns: 'text'"):
        build_corpus(table, "body")
    with pytest.raises(ExplorerError, match="no column named 'cat' to use as the label"):
        build_corpus(table, "text", "cat")


def test_build_corpus_refuses_a_column_that_is_not_text() -> None:
    table = pd.DataFrame({"n": [1, 2, 3], "text": ["a", "b", "c"]})
    with pytest.raises(ExplorerError, match=r"'n' does not hold text.*'text'"):
        build_corpus(table, "n")


def test_build_corpus_needs_at_least_three_documents() -> None:
    with pytest.raises(ExplorerError, match="Only 2 row"):
        build_corpus(table_of(text=["a", " ", "b"]), "text")
    with pytest.raises(ExplorerError, match="Only 0 row"):
        build_corpus(table_of(text=["", "  ", "\x00"]), "text")


def test_corpus_rejects_inconsistent_fields_loudly() -> None:
    with pytest.raises(ValueError, match="one entry per text"):
        Corpus(name="x", texts=("a", "b"), ids=("1",))
    with pytest.raises(ValueError, match="unique"):
        Corpus(name="x", texts=("a", "b"), ids=("1", "1"))


# Bad input


def test_no_files_is_explained() -> None:
    with pytest.raises(ExplorerError, match="No files"):
        read_files([])


@pytest.mark.parametrize("data", [b"", b"  \n\r\n\t "])
def test_empty_file_is_explained(data: bytes) -> None:
    with pytest.raises(ExplorerError, match=r"notes\.txt is empty"):
        read_files([("notes.txt", data)])


def test_png_renamed_to_txt_is_called_binary() -> None:
    with pytest.raises(ExplorerError, match=r"photo\.txt looks like a binary file.*PNG"):
        read_files([("photo.txt", PNG_HEADER + b"\x00" * 64)])


def test_nul_bytes_are_called_binary() -> None:
    with pytest.raises(ExplorerError, match=r"binary file.*NUL"):
        read_files([("data.csv", b"text\nhello\x00world\n")])


def test_mostly_unprintable_bytes_are_called_binary() -> None:
    noise = bytes(range(1, 32)) * 20 + b"some text"
    with pytest.raises(ExplorerError, match=r"binary file.*non-printable"):
        read_files([("noise.txt", noise)])


def test_malformed_json_names_the_position() -> None:
    with pytest.raises(ExplorerError, match=r"docs\.json is not valid JSON.*line 2"):
        read_files([("docs.json", b'[{"text": "a"},\n {"text": }]')])


def test_json_lines_saved_as_json_suggests_renaming() -> None:
    with pytest.raises(ExplorerError, match=r"rename it to \.jsonl"):
        read_files([("docs.json", b'{"text": "a"}\n{"text": "b"}\n')])


def test_jsonl_bad_line_names_the_line() -> None:
    data = b'{"text": "a"}\n\n{"text": "b"\n'
    with pytest.raises(ExplorerError, match=r"rows\.jsonl, line 3: not valid JSON"):
        read_files([("rows.jsonl", data)])


def test_jsonl_value_of_wrong_kind_names_the_line() -> None:
    with pytest.raises(ExplorerError, match=r"line 2: expected a JSON object or string.*number"):
        read_files([("rows.jsonl", b'"ok"\n42\n')])


@pytest.mark.parametrize(
    ("payload", "found"),
    [
        ({"text": "a"}, "an object"),
        (42, "a number"),
        ("text", "a string"),
        ({"data": 3}, "an object"),
    ],
)
def test_json_of_the_wrong_shape_is_explained(payload: object, found: str) -> None:
    with pytest.raises(ExplorerError, match=f"holds {found}.*list of records"):
        read_files([("docs.json", json.dumps(payload).encode())])


def test_json_list_of_numbers_names_the_item() -> None:
    with pytest.raises(ExplorerError, match=r"item 1: expected a JSON object or string"):
        read_files([("docs.json", b"[1, 2]")])


def test_empty_json_list_has_no_documents() -> None:
    with pytest.raises(ExplorerError, match="empty list"):
        read_files([("docs.json", b"[]")])


def test_csv_without_rows_is_explained() -> None:
    with pytest.raises(ExplorerError, match="no data rows"):
        read_files([("data.csv", b"id,text\n")])


def test_csv_with_unbalanced_rows_is_explained() -> None:
    with pytest.raises(ExplorerError, match=r"data\.csv could not be read as a table"):
        read_files([("data.csv", b"a,b\n1,2\n3,4,5\n")])
    with pytest.raises(ExplorerError, match="more fields than the header"):
        read_files([("data.csv", b"a,b\n1,2,3\n4,5,6\n")])


@pytest.mark.parametrize("name", ["slides.pptx", "sheet.xlsx", "noextension"])
def test_unsupported_extension_lists_the_supported_ones(name: str) -> None:
    with pytest.raises(
        ExplorerError, match=r"unsupported file type.*\.txt, \.md.*\.pdf, \.docx, \.html.*\.zip"
    ):
        read_files([(name, b"whatever")])


def test_oversized_file_names_the_limit_in_mb() -> None:
    with pytest.raises(ExplorerError, match=r"big\.txt is 1\.5 MB; the limit is 1 MB per file"):
        read_files([("big.txt", b"x" * (3 * MB // 2))], limits=Limits(max_file_bytes=MB))


def test_oversized_upload_names_the_total_limit() -> None:
    files = [("a.txt", b"x" * MB), ("b.txt", b"y" * MB)]
    with pytest.raises(ExplorerError, match=r"total 2 MB; the limit is 1\.5 MB"):
        read_files(files, limits=Limits(max_total_bytes=3 * MB // 2))


@pytest.mark.parametrize(
    "files",
    [
        [("lines.txt", b"a\nb\nc\nd\ne\n")],
        [("rows.csv", b"text\na\nb\nc\nd\ne\n")],
        [("rows.jsonl", b'"a"\n"b"\n"c"\n"d"\n"e"\n')],
        [("list.json", b'["a", "b", "c", "d", "e"]')],
        [("a.csv", b"text\na\nb\nc\n"), ("b.csv", b"text\nd\ne\n")],
        [(f"{i}.md", b"doc") for i in range(5)],
    ],
)
def test_too_many_documents_says_how_many_and_the_limit(files: list[tuple[str, bytes]]) -> None:
    with pytest.raises(ExplorerError, match=r"has 5 .*limit of 4 documents"):
        read_files(files, limits=Limits(max_documents=4))


# Zip archives


def test_zip_members_are_read_as_if_uploaded() -> None:
    archive = zip_of(
        {
            "docs/a.txt": b"first file\nstill first",
            "docs/b.txt": b"second file",
            "docs/": b"",
            "__MACOSX/docs/._a.txt": b"\x00\x05junk",
            "docs/.DS_Store": b"\x00junk",
            "docs/picture.png": b"\x89PNG",
        }
    )
    table = read_files([("Upload.ZIP", archive)])
    assert table["text"].tolist() == ["first file\nstill first", "second file"]
    assert table["source"].tolist() == ["docs/a.txt", "docs/b.txt"]


def test_zip_with_a_single_txt_gives_one_document_per_line() -> None:
    table = read_files([("one.zip", zip_of({"notes.txt": b"a\nb\nc"}))])
    assert table.index.tolist() == ["notes.txt:1", "notes.txt:2", "notes.txt:3"]


def test_zip_members_with_unsafe_paths_are_skipped() -> None:
    archive = zip_of(
        {"../evil.txt": b"evil", "/abs.txt": b"evil", "C:/win.txt": b"evil", "ok.md": b"fine"}
    )
    assert read_files([("x.zip", archive)])["text"].tolist() == ["fine"]


def test_zip_with_only_unsafe_members_is_explained() -> None:
    with pytest.raises(ExplorerError, match=r"x\.zip contains no files that can be read.*\.\./"):
        read_files([("x.zip", zip_of({"../evil.txt": b"evil"}))])


def test_nested_zips_are_ignored() -> None:
    inner = zip_of({"inner.txt": b"hidden inside"})
    archive = zip_of({"inner.zip": inner, "outer.md": b"outer"})
    assert read_files([("x.zip", archive)])["text"].tolist() == ["outer"]
    with pytest.raises(ExplorerError, match="no files that can be read"):
        read_files([("x.zip", zip_of({"inner.zip": inner}))])


def test_zip_with_too_many_members_is_explained() -> None:
    archive = zip_of({f"{i}.md": b"doc" for i in range(6)})
    with pytest.raises(ExplorerError, match="holds 6 files; the limit is 5 per zip"):
        read_files([("many.zip", archive)], limits=Limits(max_zip_members=5))


def test_zip_declaring_a_million_entries_is_refused_before_its_directory_is_parsed() -> None:
    # 60,000 empty-named entries make a ~3 MB directory; the end record's count is read first
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for i in range(60_000):
            archive.writestr(f"d/{i}/", b"")
    data = buffer.getvalue()
    assert declared_entries(data) == 60_000
    parsed = []
    original = zipfile.ZipFile._RealGetContents
    zipfile.ZipFile._RealGetContents = lambda self: parsed.append(1) or original(self)
    try:
        with pytest.raises(ExplorerError, match=r"declares 60,000 entries; the limit is 20,000"):
            read_files([("many.zip", data)])
    finally:
        zipfile.ZipFile._RealGetContents = original
    assert parsed == []


@pytest.mark.parametrize("declared", [None, 1])
def test_a_zip_listing_more_entries_than_allowed_is_refused_before_it_is_listed(
    declared, monkeypatch
) -> None:
    # zipfile lists every header of the directory whatever the end record declares, so a zip
    # declaring one entry among 200,000 is counted header by header, not believed
    data = crowded_zip(200_000, declared)
    held = "declares 200,000" if declared is None else "holds more"
    peak = refused_unlisted(
        lambda: read_files([("crowded.zip", data)]),
        rf"crowded\.zip {held} entries; the limit is 20,000 per zip",
        monkeypatch,
    )
    assert peak < UNLISTED_PEAK
    assert listed_entries(data, 20_000) == 20_001
    assert listed_entries(crowded_zip(3), 20_000) == 3


def test_zip64_entry_count_is_read_from_the_zip64_end_record() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", allowZip64=True) as archive:
        for i in range(70_000):  # over 65,535 entries forces the zip64 end record
            archive.writestr(f"{i}/", b"")
    assert declared_entries(buffer.getvalue()) == 70_000
    assert declared_entries(b"not a zip") is None


def test_document_limit_is_set_by_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Limits().max_documents == 200_000
    monkeypatch.setenv("MGE_MAX_DOCUMENTS", "3")
    with pytest.raises(ExplorerError, match=r"has 4 .*limit of 3 documents"):
        read_files([("rows.csv", b"text\na\nb\nc\nd\n")], limits=Limits())
    monkeypatch.setenv("MGE_MAX_DOCUMENTS", "lots")
    assert Limits().max_documents == 200_000


def test_zip_bomb_is_refused_from_its_headers_without_unpacking() -> None:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("bomb.txt", "w") as member,
    ):
        for _ in range(64):
            member.write(b"a" * MB)
    bomb = buffer.getvalue()
    assert len(bomb) < MB // 4
    tracemalloc.start()
    try:
        with pytest.raises(ExplorerError, match=r"bomb\.zip unpacks to 64 MB; the limit is"):
            read_files([("bomb.zip", bomb)], limits=Limits(max_zip_uncompressed=8 * MB))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MB


def test_zip_whose_headers_understate_the_size_is_refused() -> None:
    archive = bytearray(zip_of({"liar.txt": b"a" * (4 * MB)}))
    directory = archive.index(b"PK\x01\x02")
    archive[directory + 24 : directory + 28] = struct.pack("<I", 100)
    tracemalloc.start()
    try:
        with pytest.raises(ExplorerError, match=r"liar\.txt could not be unpacked"):
            read_files([("liar.zip", bytes(archive))])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MB


def test_zip_member_larger_than_the_file_limit_is_refused() -> None:
    archive = zip_of({"big.txt": b"a" * (2 * MB)})
    with pytest.raises(ExplorerError, match=r"big\.zip: big\.txt is 2 MB; the limit is 1 MB"):
        read_files([("big.zip", archive)], limits=Limits(max_file_bytes=MB))


def test_file_that_is_not_a_zip_is_explained() -> None:
    with pytest.raises(ExplorerError, match=r"fake\.zip is not a readable zip archive"):
        read_files([("fake.zip", b"just some text")])


def test_binary_member_inside_zip_is_called_binary() -> None:
    with pytest.raises(ExplorerError, match=r"pic\.txt looks like a binary file"):
        read_files([("x.zip", zip_of({"pic.txt": PNG_HEADER}))])


# Names and the demo


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["reviews.csv"], "reviews"),
        (["My Reviews (2024).csv"], "My_Reviews_2024"),
        (["a.txt", "b.txt", "c.txt"], "a-plus2"),
        (["C:\\Users\\me\\notes.final.txt"], "notes_final"),
        (["../../etc/passwd.txt"], "passwd"),
        (["<script>.csv"], "script"),
        (["日本語.txt"], "upload"),
        ([], "upload"),
        (["x" * 100 + ".csv", "y.csv"], "x" * 34 + "-plus1"),
    ],
)
def test_corpus_name_is_short_and_sanitized(names: list[str], expected: str) -> None:
    name = corpus_name(names)
    assert name == expected
    assert len(name) <= 40


def test_load_demo_corpus_reads_id_theme_topic_text(tmp_path, monkeypatch) -> None:
    rows = [(f"d{i}", f"theme{i % 2}", f"topic{i % 4}", f"text {i}") for i in range(8)]
    demo = tmp_path / "demo_corpus.csv"
    pd.DataFrame(rows, columns=["id", "theme", "topic", "text"]).to_csv(demo, index=False)
    monkeypatch.setattr(corpus, "DEMO_CORPUS_PATH", demo)
    built = load_demo_corpus()
    assert built.name == "demo"
    assert built.ids[:2] == ("d0", "d1")
    assert built.labels[:2] == ("topic0", "topic1")
    assert built.coarse_labels[:2] == ("theme0", "theme1")


def test_bundled_demo_corpus_has_enough_documents_topics_and_themes() -> None:
    built = load_demo_corpus()
    assert len(built) >= 300
    assert len(set(built.labels)) == 12
    assert len(set(built.coarse_labels)) == 4


@pytest.mark.parametrize("name", ["huge.json", "huge.jsonl"])
def test_json_integer_beyond_pythons_digit_limit_is_a_clear_message(name: str) -> None:
    data = (
        b'[{"text": "a", "n": ' + b"9" * 5000 + b"}]"
        if name.endswith(".json")
        else (b'{"text": "a", "n": ' + b"9" * 5000 + b"}")
    )
    with pytest.raises(ExplorerError, match=r"huge\.jsonl?.* not valid JSON \(Exceeds the limit"):
        read_files([(name, data)])


def test_csv_delimiter_is_sniffed_even_when_the_text_holds_commas() -> None:
    data = b"id;text\n1;one, two and three\n2;four, five\n3;six\n"
    table = read_files([("semi.csv", data)])
    assert table["text"].tolist() == ["one, two and three", "four, five", "six"]


def test_cp1251_cyrillic_is_detected_not_read_as_western() -> None:
    text = "Быстрая коричневая лиса перепрыгивает через ленивую собаку. " * 8
    table = read_files([("ru.md", text.encode("cp1251"))])
    assert table["text"].iloc[0].strip() == text.strip()


# Broken characters: halves of surrogate pairs, which UTF-8 (and so pandas' Arrow strings,
# hashing, models and the browser) cannot hold

CUT_EMOJI = "\ud83d"  # the first half of 😀 (\ud83d\ude00), as tweets cut at a length limit hold


def test_a_cut_emoji_in_json_becomes_a_replacement_character_and_is_counted() -> None:
    records = [
        {"text": f"so happy {CUT_EMOJI}", f"mood{CUT_EMOJI}": f"joy{CUT_EMOJI}", "id": "t1"},
        {"text": "second tweet", "id": f"t2{CUT_EMOJI}"},
        {"text": "third tweet", "id": "t3"},
    ]
    data = json.dumps(records).encode()  # ASCII bytes holding the escape "\ud83d"
    assert b"\\ud83d" in data
    table = read_files([("tweets.json", data)])
    assert table["text"].tolist() == ["so happy \ufffd", "second tweet", "third tweet"]
    assert table["mood\ufffd"].tolist() == ["joy\ufffd", "", ""]
    assert table.attrs[corpus.REPLACED_SURROGATES] == 4
    assert corpus.replaced_note(table).startswith("4 broken character(s)")
    built = build_corpus(table, "text", "mood\ufffd", id_column="id")
    assert built.ids == ("t1", "t2\ufffd", "t3")
    assert len(built.fingerprint) == 32


def test_a_cut_emoji_in_json_lines_and_bare_strings_is_replaced() -> None:
    data = f'{{"text": "{CUT_EMOJI}x"}}\n"{CUT_EMOJI}{CUT_EMOJI} two"\n"three"\n'.encode(
        "ascii", "backslashreplace"
    )
    table = read_files([("chat.jsonl", data)])
    assert table["text"].tolist() == ["\ufffdx", "\ufffd\ufffd two", "three"]
    assert table.attrs[corpus.REPLACED_SURROGATES] == 3
    assert len(build_corpus(table, "text").fingerprint) == 32


def test_a_file_name_with_undecodable_bytes_is_replaced_in_source_and_ids(tmp_path) -> None:
    path = tmp_path / os.fsdecode(b"caf\xe9.csv")  # Latin-1 bytes on a UTF-8 system
    path.write_bytes(b"text\nfirst\nsecond\nthird\n")
    assert "\udce9" in path.name
    table = read_path(path)
    assert table["source"].tolist() == ["caf\ufffd.csv"] * 3
    assert table.index.tolist() == ["caf\ufffd.csv:1", "caf\ufffd.csv:2", "caf\ufffd.csv:3"]
    assert table.attrs[corpus.REPLACED_SURROGATES] == 1
    assert build_corpus(table, "text").ids[0] == "caf\ufffd.csv:1"


def test_clean_text_has_no_replacement_note() -> None:
    table = read_files([("docs.json", json.dumps(["one 😀", "two", "three"]).encode())])
    assert table["text"].iloc[0] == "one 😀"
    assert table.attrs[corpus.REPLACED_SURROGATES] == 0
    assert corpus.replaced_note(table) == ""
