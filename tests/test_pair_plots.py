"""The two-documents figures, checked on their data, not their pixels."""

from __future__ import annotations

import numpy as np

from core.analysis.pairs import compare_pair
from core.viz.pair_plots import pair_rank_figure, pair_value_figure


def _pairs():
    x = np.random.default_rng(0).normal(size=(30, 16)).astype(np.float32)
    return compare_pair(x, [16, 8, 4], 2, 7)


def test_value_figure_has_one_panel_per_measure_with_the_full_size_marked():
    pairs = _pairs()
    fig = pair_value_figure(pairs, title="A <b> B")
    curves = [t for t in fig.data if t.mode == "lines+markers"]
    marks = [t for t in fig.data if t.name == "full size"]
    assert [t.name for t in curves] == ["Cosine similarity", "Dot product", "Euclidean distance"]
    assert [t.xaxis for t in curves] == ["x", "x2", "x3"]
    for curve, mark, measure in zip(curves, marks, ("cosine", "dot", "euclidean"), strict=True):
        rows = pairs[pairs["measure"] == measure].sort_values("dim")
        assert list(curve.x) == [4, 8, 16]
        assert np.allclose(curve.y, rows["value"])
        assert list(mark.x) == [16] and mark.y[0] == rows["value"].iloc[-1]
    layout = fig.to_dict()["layout"]
    assert all(layout[f"xaxis{i}"]["type"] == "log" for i in ("", "2", "3"))
    assert [s["y0"] for s in layout["shapes"]] == [m.y[0] for m in marks]  # full-size lines
    notes = [a["text"] for a in layout["annotations"] if a["text"].startswith("full size")]
    assert notes == [f"full size (16): {m.y[0]:.3g}" for m in marks]
    assert layout["yaxis3"]["title"]["text"] == "distance"
    assert layout["title"]["text"] == "A &lt;b&gt; B"


def test_rank_figure_has_both_directions_per_measure_with_rank_one_on_top():
    pairs = _pairs()
    fig = pair_rank_figure(pairs, ("doc<1>", "doc2"))
    assert len(fig.data) == 6
    assert fig.data[0].name == "doc2 in doc&lt;1&gt;'s list · cosine"
    assert fig.data[1].name == "doc&lt;1&gt; in doc2's list · cosine"
    dot = pairs[pairs["measure"] == "dot"].sort_values("dim")
    assert list(fig.data[2].y) == dot["rank_b_in_a"].tolist()
    assert list(fig.data[3].y) == dot["rank_a_in_b"].tolist()
    worst = pairs[["rank_b_in_a", "rank_a_in_b"]].to_numpy().max()
    top, bottom = fig.layout.yaxis.range[1], fig.layout.yaxis.range[0]
    assert fig.layout.yaxis.type == "log" and 10**top < 1 < worst < 10**bottom  # 1 at the top
    assert fig.layout.yaxis.tickvals[:4] == (1, 2, 5, 10)
    assert fig.layout.xaxis.type == "log"
