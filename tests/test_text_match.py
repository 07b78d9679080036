"""Finding the documents whose text or id contains every typed word."""

from __future__ import annotations

import numpy as np
import pytest

from core.analysis.text_match import MAX_QUERY_WORDS, find_documents, matching_rows, query_words
from core.runtime.errors import ExplorerError

TEXTS = (
    "Tennis serve and volley",
    "the price is $5.00 (or more)",
    "a <b>bold</b> claim about tennis",
    "Waltz and TANGO evenings",
    "regex a.c and a*c",
)
IDS = ("t-1", "money", "html", "dance-TENNIS", "abc")


def _found(query: str) -> list[int]:
    return np.flatnonzero(matching_rows(TEXTS, IDS, query)).tolist()


def test_words_match_text_or_id_case_insensitively_and_all_must_appear():
    assert _found("tennis") == [0, 2, 3]  # row 3 by its id
    assert _found("TENNIS serve") == [0]
    assert _found("tango waltz") == [3]
    assert _found("tennis waltz") == [3]  # one word in the id, one in the text
    assert _found("nowhere") == []
    assert _found("   ") == [] and matching_rows(TEXTS, IDS, "").dtype == bool


def test_special_characters_are_plain_text_not_patterns():
    assert _found("$5.00") == [1]
    assert _found("(or") == [1]
    assert _found("a.c") == [4]  # not "abc" (the id), as a pattern would
    assert _found("a*c") == [4]
    assert _found("<b>bold</b>") == [2]
    assert _found(".*") == []
    assert _found("[") == []


def test_repeated_words_count_once_and_too_many_words_are_refused():
    assert query_words("tennis Tennis tennis") == ("tennis", "Tennis")
    assert query_words("a a a a") == ("a",)
    with pytest.raises(ExplorerError, match=f"at most {MAX_QUERY_WORDS}"):
        matching_rows(TEXTS, IDS, " ".join(f"w{i}" for i in range(MAX_QUERY_WORDS + 1)))


def test_find_documents_gives_the_first_matching_rows_up_to_a_limit() -> None:
    ids = ["alpha", "beta", "Gamma", "delta"]
    texts = ["tennis serve", "Tennis racket", "chess", "golf"]
    assert find_documents(texts, ids, "TENNIS", 10) == [0, 1]
    assert find_documents(texts, ids, "gam", 10) == [2]
    assert find_documents(texts, ids, "tennis", 1) == [0]
    assert find_documents(texts, ids, "racket tennis", 10) == [1]  # every word, in any order
    assert find_documents(texts, ids, "  ", 3) == [0, 1, 2]
    assert find_documents(texts, ids, "nowhere", 3) == []
