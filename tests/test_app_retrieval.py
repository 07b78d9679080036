"""AppTest runs of the Retrieval quality page through the real entry point, on the demo corpus
with the real default model."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.io.corpus import load_demo_corpus
from core.io.queries import read_queries
from tests.test_app import _app, _use_uploaded_vectors
from tests.test_queries import demo_queries

pytestmark = pytest.mark.usefixtures("fresh_results")


def _retrieval_page():
    at = _app()
    at.switch_page("pages/retrieval.py").run()
    assert not at.exception, at.exception
    return at


def test_without_queries_the_page_asks_for_a_file_or_the_labels():
    at = _retrieval_page()
    assert at.radio(key="retrieval_source").options == ["A query file", "Labels as answers"]
    assert any("Upload a query file" in i.value for i in at.info)


def test_labels_as_answers_give_the_recommendation_and_warn_below_100_queries():
    at = _retrieval_page()
    at.radio(key="retrieval_source").set_value("Labels as answers").run()
    assert not at.exception and not at.error
    assert any("label neighbourhoods" in i.value for i in at.info)
    assert "of nDCG@10" in at.success[0].value or "No smaller" in at.success[0].value
    assert not at.warning
    assert len(at.get("plotly_chart")) == 2
    at.slider(key="retrieval_sample").set_value(40).run()
    assert "Only 40 queries" in at.warning[0].value


def test_the_labels_sample_slider_goes_up_to_the_servers_query_limit(monkeypatch):
    monkeypatch.setenv("MGE_MAX_QUERIES", "100")  # below the demo corpus's 360 documents
    at = _retrieval_page()
    at.radio(key="retrieval_source").set_value("Labels as answers").run()
    slider = at.slider(key="retrieval_sample")
    assert (slider.min, slider.max, slider.value) == (1, 100, 100)


def test_a_query_set_of_the_session_is_measured_and_the_metric_changes():
    at = _retrieval_page()
    demo = load_demo_corpus()
    query_set = read_queries("demo_queries.csv", demo_queries(demo), demo.ids)
    at.session_state["query_set"] = (demo.documents_fingerprint, query_set, None, None)
    at.run()
    assert not at.exception and not at.error
    sentence = at.success[0].value
    assert "of nDCG@10" in sentence and "for 1M" in sentence
    assert any("120 queries from demo\\_queries.csv" in c.value for c in at.caption)
    table = at.dataframe[-1].value
    assert len(table) == 10 * 4  # the default ladder × four precisions
    assert table.iloc[0]["ndcg_at_10"] > 0.9
    at.selectbox(key="retrieval_metric").set_value("mrr_at_10").run()
    assert "of MRR@10" in at.success[0].value or "No smaller" in at.success[0].value


def test_a_query_set_the_full_size_answers_nowhere_is_said_in_words():
    at = _retrieval_page()
    demo = load_demo_corpus()
    # each query is a document's own text, so that document, not the answer, comes first
    asked = range(0, 360, 40)
    table = pd.DataFrame(
        {
            "query": [demo.texts[i] for i in asked],
            "relevant": [demo.ids[(i + 180) % 360] for i in asked],
        }
    )
    query_set = read_queries("elsewhere.csv", table.to_csv(index=False).encode(), demo.ids)
    at.session_state["query_set"] = (demo.documents_fingerprint, query_set, None, None)
    at.run()
    at.slider(key="retrieval_k").set_value(1).run()
    at.selectbox(key="retrieval_metric").set_value("recall_at_k").run()
    assert not at.exception and not at.error
    assert at.success[0].value.startswith("At the full size the queries find none")
    assert any("no quality kept to set against agreement" in m.value for m in at.markdown)


def test_query_vectors_uploaded_again_give_their_own_table():
    at = _app()
    _use_uploaded_vectors(at)
    at.switch_page("pages/retrieval.py").run()
    demo = load_demo_corpus()
    query_set = read_queries("demo_queries.csv", demo_queries(demo, every=9), demo.ids)
    at.session_state["query_set"] = (demo.documents_fingerprint, query_set, None, None)
    at.run()
    assert any("no model to embed the queries" in i.value for i in at.info)
    answers = at.session_state.uploaded.vectors[
        [demo.ids.index(a[0][0]) for a in query_set.relevant]
    ]

    def upload(vectors: np.ndarray) -> float:
        buffer = io.BytesIO()
        np.save(buffer, vectors)
        at.file_uploader(key="retrieval_vectors").upload("q.npy", buffer.getvalue()).run()
        assert not at.exception and not at.error
        return float(at.dataframe[-1].value.iloc[0]["mrr_at_10"])

    assert upload(answers) == 1.0  # each query is its answer's own vector
    assert upload(-answers) == 0.0  # each points away from its answer


def test_search_speed_is_shown_per_size_and_precision_with_what_rescoring_keeps():
    at = _retrieval_page()
    at.radio(key="retrieval_source").set_value("Labels as answers").run()
    assert not at.exception and not at.error
    speeds = next(d.value for d in at.dataframe if "ms/query (median)" in d.value.columns)
    assert len(speeds) == 10 * 4 and set(speeds["precision"]) == {
        "float32",
        "int8",
        "binary",
        "binary+rescore",
    }
    assert (speeds["ms/query (median)"] <= speeds["ms/query (95th pct.)"]).all()
    rescored = speeds[speeds["precision"] == "binary+rescore"]
    assert rescored["kept for rescoring"].str.contains("float32 vectors").all()
    assert any("Hamming distance over packed bits" in c.value for c in at.caption)
