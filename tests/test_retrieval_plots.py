"""The retrieval figures: every configuration drawn, the frontier, the choice, escaped titles."""

from __future__ import annotations

import pandas as pd
import pytest

from core.analysis.retrieval import pareto_front, retrieval_table
from core.viz.retrieval_plots import proxy_figure, quality_figure
from tests.test_retrieval import _planted


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    docs, asked, judged = _planted(queries=60)
    return retrieval_table(docs, asked, judged, [64, 16], rounds=100, latency=False).fillna(0)


def test_quality_figure_draws_every_configuration_the_frontier_and_the_choice(table):
    fig = quality_figure(table, chosen=(16, "int8"), threshold=0.5, title="<b>mine</b>")
    traces = {t.name: t for t in fig.data}
    assert [n for n in traces if n in ("float32", "int8", "binary", "binary+rescore")] == [
        "float32",
        "int8",
        "binary",
        "binary+rescore",
    ]
    assert sum(len(traces[p].x) for p in ("float32", "int8", "binary", "binary+rescore")) == 8
    assert list(traces["int8"].text) == ["64", "16"]
    assert len(traces["Pareto frontier"].x) == int(pareto_front(table).sum())
    by = table.set_index(["dim", "precision"])
    assert traces["recommended"].x == (by.loc[(16, "int8"), "bytes_per_vector"],)
    assert fig.layout.xaxis.type == "log"
    assert fig.layout.title.text == "&lt;b&gt;mine&lt;/b&gt;"
    low = traces["float32"].error_y.arrayminus
    assert all(v >= 0 for v in low)


def test_proxy_figure_puts_agreement_against_quality_kept(table):
    fig = proxy_figure(table)
    binary = next(t for t in fig.data if t.name == "binary")
    rows = table[table["precision"] == "binary"]
    assert list(binary.x) == rows["agreement_at_k"].tolist()
    assert list(binary.y) == rows["ndcg_at_10_share"].tolist()
