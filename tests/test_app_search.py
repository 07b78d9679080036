"""AppTest runs of the Search page through the real entry point, on the demo corpus."""

from __future__ import annotations

import re

import numpy as np
import pytest

from core.analysis.search import search_at
from core.embed.models import WORDLLAMA, embed_typed
from core.io.corpus import load_demo_corpus
from tests.test_app import _app, _metrics, _use_uploaded_vectors

pytestmark = pytest.mark.usefixtures("fresh_results")

QUERY = "a fast serve on a grass court"
MIDDLE, FULL = 48, 256  # the default ladder 256 … 8 has 48 in its middle


def _search_page():
    at = _app()
    at.switch_page("pages/search.py").run()
    assert not at.exception, at.exception
    return at


def _expected_ids(dim: int) -> list[str]:
    """The query's top 10 at `dim`, searched outside the app (WordLlama is natively ordered)."""
    corpus = load_demo_corpus()
    vectors = embed_typed(corpus.texts, WORDLLAMA)
    query = embed_typed([QUERY], WORDLLAMA)[0]
    return [corpus.ids[r] for r in search_at(vectors, query, dim, 10, repeats=1).hits.rows]


def test_a_typed_query_shows_both_lists_recall_and_times():
    at = _search_page()
    assert at.select_slider(key="search_dim").value == MIDDLE
    assert any("angle between two prefixes" in c.value for c in at.caption)  # cosine's meaning
    at.text_input(key="search_text").set_value(QUERY).run()
    assert not at.exception and not at.error
    headings = [h.value for h in at.subheader][:2]
    assert headings == [f"At {MIDDLE} dims", f"At full size, {FULL} dims"]
    small, full = (d.value for d in at.dataframe[:2])
    assert small["id"].tolist() == _expected_ids(MIDDLE)
    assert full["id"].tolist() == _expected_ids(FULL)
    assert full["id"].iloc[0].startswith("sport-tennis")
    shared = set(small["id"]) & set(full["id"])
    assert small["in both"].tolist() == [i in shared for i in small["id"]]
    assert all(re.fullmatch(r"↑\d+|↓\d+|=|new", m) for m in small["move"])
    metrics = _metrics(at)
    recall = metrics[f"Recall@10 at {MIDDLE} dims"]
    assert re.fullmatch(r"\d{1,3}\.\d%", recall)
    assert float(recall.rstrip("%")) == len(shared) * 10
    assert re.fullmatch(r"\d+\.\d{3} ms", metrics[f"Query time at {MIDDLE} dims"])
    assert re.fullmatch(r"\d+\.\d{3} ms", metrics[f"Query time at full size ({FULL} dims)"])

    at.select_slider(key="search_dim").set_value(FULL).run()
    assert _metrics(at)[f"Recall@10 at {FULL} dims"] == "100.0%"
    assert set(at.dataframe[0].value["move"]) == {"="}


def test_the_query_set_draws_the_measured_curve():
    at = _search_page()
    at.slider(key="search_set_n").set_value(50).run()
    at.toggle(key="search_set").set_value(True).run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert table["dim"].tolist() == [256, 192, 128, 96, 64, 48, 32, 24, 16, 8]
    assert table["queries"].eq(50).all()
    assert table["recall_at_k"].iloc[0] == 1.0
    assert table["recall_at_k"].iloc[-1] < table["recall_at_k"].iloc[0]
    assert "recall_hnsw" not in table.columns
    assert len(at.get("plotly_chart")) == 1
    assert any("Measured on this machine" in c.value for c in at.caption)

    at.toggle(key="search_hnsw").set_value(True).run()
    assert not at.exception
    with_index = at.dataframe[-1].value
    assert with_index["recall_hnsw"].between(0, 1).all()
    assert (with_index["hnsw_ms"] > 0).all()


def test_the_query_set_slider_goes_up_to_the_servers_limit(monkeypatch):
    monkeypatch.setenv("MGE_MAX_QUERIES", "100")  # below the demo corpus's 360 documents
    slider = _search_page().slider(key="search_set_n")
    assert (slider.min, slider.max, slider.value) == (1, 100, 100)


def test_uploaded_vectors_search_with_a_document_left_out_of_its_results():
    at = _app()
    _use_uploaded_vectors(at)
    at.switch_page("pages/search.py").run()
    assert not at.exception
    assert at.radio(key="search_mode").options == ["A document"]
    assert not any(t.key == "search_text" for t in at.text_input)
    at.text_input(key="search_find").set_value("astronomy").run()
    query_id = at.selectbox[0].format_func(at.selectbox[0].value).split(" · ")[0]
    assert "astronomy" in query_id
    small, full = (d.value for d in at.dataframe[:2])
    assert len(small) == len(full) == 10
    assert query_id not in set(small["id"]) | set(full["id"])
    dim = at.select_slider(key="search_dim").value  # 64 uploaded dims: a smaller ladder
    assert np.isclose(
        float(_metrics(at)[f"Recall@10 at {dim} dims"].rstrip("%")),
        len(set(small["id"]) & set(full["id"])) * 10,
    )


def test_a_tiny_corpus_searches_the_documents_it_has():
    from core.io.corpus import Corpus

    at = _app()
    texts = tuple(f"note {i} about {'cats' if i % 2 else 'engines'}" for i in range(4))
    at.session_state.corpus = Corpus("tiny", texts, tuple(f"d{i}" for i in range(4)))
    at.switch_page("pages/search.py").run()
    at.radio(key="search_mode").set_value("A document").run()
    assert not at.exception
    assert sorted(at.dataframe[0].value["id"]) == ["d1", "d2", "d3"]  # all but d0 itself
    assert f"Recall@3 at {at.select_slider(key='search_dim').value} dims" in _metrics(at)
    at.toggle(key="search_set").set_value(True).run()
    assert not at.exception
    assert at.dataframe[-1].value["queries"].eq(4).all()


def test_finding_a_document_takes_every_word_and_refuses_too_many_with_a_message():
    from core.analysis.text_match import MAX_QUERY_WORDS

    at = _search_page()
    at.radio(key="search_mode").set_value("A document").run()
    at.text_input(key="search_find").set_value("match tennis").run()
    assert not at.exception and not at.error
    picked = at.selectbox[0].format_func(at.selectbox[0].value).lower()
    assert "match" in picked and "tennis" in picked
    words = " ".join(f"w{i}" for i in range(MAX_QUERY_WORDS + 1))
    at.text_input(key="search_find").set_value(words).run()
    assert not at.exception
    assert f"use at most {MAX_QUERY_WORDS}" in at.error[0].value
    assert at.selectbox[0].value is None
