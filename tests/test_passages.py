"""Splitting long documents into passages that remember their document."""

from __future__ import annotations

import pandas as pd
import pytest

from core.io.corpus import Limits, build_corpus, label_columns
from core.io.passages import paragraphs, split_passages, word_windows
from core.runtime.errors import ExplorerError

LONG = "First paragraph here.\n\n  Second one,\nwrapped.\n \n\nThird."


def test_paragraphs_split_on_blank_lines_only():
    assert paragraphs(LONG) == ["First paragraph here.", "Second one,\nwrapped.", "Third."]
    assert paragraphs("\n\n  \n") == []


def test_word_windows_keep_paragraphs_whole_join_short_ones_and_cut_long_ones():
    text = "a b c\n\nd e\n\nf g h i j k l\n\nm"
    assert word_windows(text, 5) == ["a b c\n\nd e", "f g h i j", "k l\n\nm"]
    windows = word_windows(text, 3)
    assert windows == ["a b c", "d e", "f g h", "i j k", "l\n\nm"]
    assert all(len(w.split()) <= 3 for w in windows)
    assert " ".join(" ".join(windows).split()) == " ".join(text.split())  # nothing lost


def test_split_passages_copies_columns_and_names_the_document():
    table = pd.DataFrame({"text": [LONG, "Only one."], "topic": ["x", "y"]}, index=["a.md", "b.md"])
    split = split_passages(table, "text", words=None, limits=Limits())
    assert split.index.tolist() == ["a.md#1", "a.md#2", "a.md#3", "b.md#1"]
    assert split["document"].tolist() == ["a.md", "a.md", "a.md", "b.md"]
    assert split["topic"].tolist() == ["x", "x", "x", "y"]
    corpus = build_corpus(split, "text", "document")
    assert corpus.ids[0] == "a.md#1" and corpus.labels[-1] == "b.md"
    assert "document" in label_columns(split)


def test_an_existing_document_column_is_kept_and_the_new_one_renamed():
    table = pd.DataFrame({"text": ["p1\n\np2"], "document": ["mine"]})
    split = split_passages(table, "text", words=None, limits=Limits())
    assert split["document"].tolist() == ["mine", "mine"]
    assert split["document.1"].tolist() == ["0", "0"]


def test_splitting_past_the_document_limit_is_refused():
    table = pd.DataFrame({"text": ["a\n\nb\n\nc", "d\n\ne"]})
    with pytest.raises(ExplorerError, match=r"Split into passages, the upload is more than"):
        split_passages(table, "text", words=None, limits=Limits(max_documents=4))
    with pytest.raises(ExplorerError, match="at least 1 word"):
        split_passages(table, "text", words=0, limits=Limits())
