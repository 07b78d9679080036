"""Tests for core.analysis.neighbourhood: following documents down the ladder."""

from __future__ import annotations

import numpy as np

from core.analysis.neighbourhood import neighbour_changes, neighbour_table
from tests.support import pipeline_of


def _views():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 16)).astype(np.float32)
    texts = [f"word{'a' * (i % 4 + 1)} text" for i in range(40)]
    pipe = pipeline_of(x, texts, ladder=(16, 4))
    return pipe.views(), pipe.corpus.ids, texts


def test_changes_compare_each_size_with_the_full_size_neighbours():
    views, ids, _ = _views()
    table = neighbour_changes(views, 3, ids)
    assert table["dim"].tolist() == [16, 4]
    full = table.iloc[0]
    assert (
        full["kept"] == 10 and full["recall"] == 1.0 and full["lost"] == "" and full["gained"] == ""
    )
    small = table.iloc[1]
    reference = set(views[16].neighbours.indices[3].tolist())
    current = set(views[4].neighbours.indices[3].tolist())
    assert small["kept"] == len(reference & current)
    assert set(filter(None, small["lost"].split(", "))) == {ids[j] for j in reference - current}
    assert set(filter(None, small["gained"].split(", "))) == {ids[j] for j in current - reference}


def test_neighbour_table_marks_those_kept_from_full_size():
    views, ids, texts = _views()
    table = neighbour_table(views[4], 3, ids, texts, views[16])
    assert len(table) == 10
    reference = {ids[j] for j in views[16].neighbours.indices[3]}
    assert table["also at full size"].tolist() == [n in reference for n in table["neighbour"]]
    assert (np.diff(table["similarity"].to_numpy()) <= 1e-6).all()  # most similar first
