"""Following documents down the ladder on a graph with a known answer."""

from __future__ import annotations

import numpy as np

from core.analysis.pinned import (
    find_documents,
    neighbour_changes,
    neighbour_table,
    selected_rows,
)
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


def test_selected_rows_reads_customdata_and_skips_pin_markers():
    points = [
        {"customdata": 5, "x": 0.1},
        {"customdata": [2], "x": 0.2},
        {"x": 0.3},  # a pin marker has no customdata
        {"customdata": 5},
    ]
    assert selected_rows(points) == [2, 5]


def test_find_documents_matches_ids_and_text_case_insensitively_up_to_a_limit() -> None:
    ids = ["alpha", "beta", "Gamma", "delta"]
    texts = ["tennis serve", "Tennis racket", "chess", "golf"]
    assert find_documents(ids, texts, "TENNIS", 10) == [0, 1]
    assert find_documents(ids, texts, "gam", 10) == [2]
    assert find_documents(ids, texts, "tennis", 1) == [0]
    assert find_documents(ids, texts, "  ", 3) == [0, 1, 2]
    assert find_documents(ids, texts, "nowhere", 3) == []
