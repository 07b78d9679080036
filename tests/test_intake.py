"""Tests for core.io.intake: a table and its chosen columns become a corpus and its notes."""

from __future__ import annotations

import pytest

from core.io.corpus import read_files
from core.io.intake import default_id_column, duplicate_ids, load_corpus, take_in
from core.runtime.errors import ExplorerError
from core.runtime.limits import DEFAULT_LIMITS


def _table(text: str):
    return read_files([("docs.csv", text.encode())])


def test_a_repeated_document_id_is_refused_with_both_rows():
    table = _table("id,text\na,x\nb,y\na,z\n")
    with pytest.raises(
        ExplorerError, match=r"docs\.csv, row 3: the document id 'a' repeats \(row 1"
    ):
        duplicate_ids(table, "id", "docs.csv")


def test_repeated_ids_are_refused_only_when_ids_must_be_unique():
    table = _table("id,text\na,one\nb,two\na,three\n")
    with pytest.raises(ExplorerError, match=r"^docs, row 3: the document id 'a' repeats"):
        take_in(table, "text", id_column="id", name="docs")
    kept = take_in(table, "text", id_column="id", name="docs", unique_ids=False).corpus
    assert kept.ids == ("a", "b", "a#2")


def test_the_id_column_guess_needs_an_id_named_column_with_distinct_values():
    assert default_id_column(_table("ID,text\n1,a\n2,b\n")) == "ID"
    assert default_id_column(_table("id,text\n1,a\n1,b\n")) is None
    assert default_id_column(_table("key,text\n1,a\n2,b\n")) is None


def test_long_documents_give_a_note_and_are_cut():
    long = "w" * (DEFAULT_LIMITS.max_doc_chars + 1)
    intake = take_in(_table(f"text\n{long}\nshort\nother\n"), "text", name="docs")
    assert intake.notes == (
        f"1 documents are longer than {DEFAULT_LIMITS.max_doc_chars:,} characters: only their "
        "start is embedded.",
    )
    assert len(intake.corpus.texts[0]) == DEFAULT_LIMITS.max_doc_chars
    assert take_in(_table("text\na\nb\nc\n"), "text", name="docs").notes == ()


def test_a_file_on_disk_gets_the_guessed_columns_and_its_stem_as_name(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("id,topic,text\nn1,a,first note\nn2,b,second note\nn3,a,third note\n")
    corpus = load_corpus(path, label_column="topic").corpus
    assert corpus.name == "notes" and corpus.ids == ("n1", "n2", "n3")
    assert corpus.texts[0] == "first note" and corpus.labels == ("a", "b", "a")


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"label_column": "nope"}, r"No column named 'nope' in .*notes\.csv\."),
        ({"id_column": "nope"}, r"No column named 'nope' in .*notes\.csv\."),
    ],
)
def test_a_named_column_the_file_lacks_is_refused(tmp_path, columns, message):
    path = tmp_path / "notes.csv"
    path.write_text("text\none\ntwo\nthree\n")
    with pytest.raises(ExplorerError, match=message):
        load_corpus(path, **columns)


def test_a_missing_path_is_refused(tmp_path):
    with pytest.raises(ExplorerError, match="does not exist"):
        load_corpus(tmp_path / "nope.csv")
