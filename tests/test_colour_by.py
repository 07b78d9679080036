"""Colouring a map by a column of the corpus, and how well its categories separate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_mutual_info_score

from core.analysis.colour_by import (
    BLANK_NAME,
    MISSING,
    Column,
    categorical_column,
    grouping,
    knn_purity,
    separation_table,
    size_separation,
)
from core.analysis.graph import Graph
from core.analysis.knn import Neighbours
from core.analysis.ladder import DimensionView
from core.io.columns import MAX_COLUMNS, table_columns
from core.io.corpus import Corpus, build_corpus, colour_columns, load_demo_corpus


def test_categorical_codes_follow_first_appearance_and_blanks_are_missing():
    column = categorical_column("topic", ["b", " a", "", "b", "a ", None])
    assert column.categories == ("b", "a")
    assert column.codes.tolist() == [0, 1, MISSING, 0, 1, MISSING]
    assert column.codes.dtype == np.int32 and not column.numeric and len(column) == 6


def test_grouping_by_a_column_names_its_codes_and_by_none_keeps_the_communities():
    communities = np.array([3, 3, 5, 5])
    names = {3: "3 · ferns", 5: "5 · tango"}
    column = categorical_column("topic", ["x", "", "y", "x"])
    by_topic = grouping(column, communities, names)
    assert by_topic.title == "topic" and by_topic.values is None
    assert by_topic.codes.tolist() == [0, MISSING, 1, 0]
    assert by_topic.names == {0: "x", 1: "y", MISSING: BLANK_NAME}
    plain = grouping(None, communities, names)
    assert plain.codes is communities and plain.names == names and plain.title == "community"
    numbers = Column("year", values=np.array([1.0, 2.0, np.nan, 4.0], np.float32))
    by_year = grouping(numbers, communities, names)
    assert by_year.codes is communities and by_year.values is numbers.values


def test_knn_purity_on_a_known_neighbour_table():
    codes = np.array([0, 0, 1, 1, MISSING], np.int32)
    indices = np.array([[1, 2], [0, 4], [3, 0], [2, 3], [0, 1]])
    # row 0: 1 of 2 same; row 1: 1 of 2 (the blank neighbour counts as other); row 2: 1 of 2;
    # row 3: 2 of 2 (itself listed counts); row 4 has no category and is left out
    purity, chance = knn_purity(indices, codes)
    assert purity == pytest.approx((0.5 + 0.5 + 0.5 + 1.0) / 4)
    # a random neighbour of a categorised document is one of the 4 others, 1 of them its kind
    assert chance == pytest.approx(1 / 4)
    assert np.isnan(knn_purity(indices, np.full(5, MISSING, np.int32))[0])


def test_purity_by_chance_is_what_random_neighbours_give_when_half_the_documents_are_blank():
    rng = np.random.default_rng(0)
    n, k = 4000, 10
    codes = np.where(np.arange(n) % 2 == 0, np.arange(n) // 2 % 4, MISSING).astype(np.int32)
    # k random other documents each, any of the n (blank ones too), never the document itself
    indices = (np.arange(n)[:, None] + rng.integers(1, n, (n, k))) % n
    purity, chance = knn_purity(indices, codes)
    assert purity == pytest.approx(0.125, abs=0.005)
    assert chance == pytest.approx(purity, abs=0.005)
    assert chance == pytest.approx(4 * (1 / 4) * (n / 8 - 1) / (n - 1))


def _view(dim: int, indices: np.ndarray, communities: np.ndarray) -> DimensionView:
    n = len(communities)
    return DimensionView(
        dim=dim,
        neighbours=Neighbours(indices, np.ones(indices.shape, np.float32)),
        graph=Graph(n, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32)),
        communities=communities,
        keywords={},
        recall=np.ones(n),
    )


def test_separation_falls_when_neighbours_and_communities_mix_the_categories():
    rng = np.random.default_rng(0)
    labels = np.repeat(["red", "blue", "green"], 40)
    column = categorical_column("colour", labels)
    codes = column.codes
    # at 64 dims every neighbour shares the category; at 8 they are drawn at random
    same = np.array([rng.choice(np.flatnonzero(codes == c), 5) for c in codes])
    mixed = rng.integers(0, len(codes), (len(codes), 5))
    shuffled = rng.permutation(codes)
    rows = {
        64: size_separation(_view(64, same, codes.copy()), column),
        8: size_separation(_view(8, mixed, shuffled), column),
    }
    table = separation_table(rows)
    assert table["dim"].tolist() == [64, 8]
    assert table["purity"].iloc[0] == 1.0 and table["ami"].iloc[0] == pytest.approx(1.0)
    assert table["purity"].iloc[1] < 0.6 and abs(table["ami"].iloc[1]) < 0.1
    assert table["chance"].tolist() == pytest.approx([39 / 119, 39 / 119])
    assert table["ami"].iloc[1] == pytest.approx(adjusted_mutual_info_score(codes, shuffled))


def test_table_columns_keep_categories_and_numbers_within_bounds():
    n = 40
    table = pd.DataFrame(
        {
            "text": [f"note {i}" for i in range(n)],
            "topic": ["a", "b"] * (n // 2),
            "year": [str(1990 + i) for i in range(n - 1)] + [""],
            "stars": [str(1 + i % 5) for i in range(n)],  # few numbers: categories
            "constant": ["x"] * n,
            "unique": [f"u{i}" for i in range(n)],  # a category per document is no grouping
        }
    )
    found = {c.name: c for c in table_columns(table, range(n), skip=("text",))}
    assert list(found) == ["topic", "year", "stars"]
    assert found["year"].numeric and np.isnan(found["year"].values[-1])
    assert found["year"].values[:3].tolist() == [1990, 1991, 1992]
    assert not found["stars"].numeric and found["stars"].categories[:2] == ("1", "2")
    wide = pd.DataFrame({f"c{i}": ["p", "q"] * (n // 2) for i in range(MAX_COLUMNS + 5)})
    assert len(table_columns(wide, range(n), skip=())) == MAX_COLUMNS


def test_build_corpus_keeps_the_other_columns_and_not_in_its_fingerprints():
    n = 30
    table = pd.DataFrame(
        {
            "text": [f"note {i}" if i != 2 else "" for i in range(n)],
            "topic": ["a", "b"] * (n // 2),
            "score": [f"{i / 2}" for i in range(n - 1)] + ["n/a"],  # a stray word: categories
            "weight": [f"{i * 1.5}" for i in range(n)],
        }
    )
    corpus = build_corpus(table, "text", "topic")
    assert [c.name for c in corpus.columns] == ["topic", "weight"]  # 30 categories: too many
    assert corpus.columns[0].codes.tolist()[:3] == [0, 1, 1]  # the empty text's row dropped
    assert corpus.columns[1].values[:3].tolist() == [0.0, 1.5, 4.5]
    bare = Corpus(corpus.name, corpus.texts, corpus.ids, labels=corpus.labels)
    assert bare.fingerprint == corpus.fingerprint
    assert bare != corpus and corpus == build_corpus(table, "text", "topic")
    assert list(colour_columns(corpus)) == ["topic", "weight"]
    with pytest.raises(ValueError, match="one entry per text"):
        Corpus("c", ("a", "b"), ("1", "2"), columns=(categorical_column("t", ["x"]),))


def test_a_corpus_without_columns_is_coloured_by_its_labels():
    demo = load_demo_corpus()
    assert list(colour_columns(demo)) == ["theme", "topic"]
    opened = Corpus(demo.name, demo.texts, demo.ids, demo.labels, demo.coarse_labels)
    by_label = colour_columns(opened)
    assert list(by_label) == ["label", "coarse label"]
    assert by_label["label"].codes.tolist() == colour_columns(demo)["topic"].codes.tolist()


def test_a_project_keeps_the_corpus_columns(tmp_path):
    from core.embed.models import WORDLLAMA
    from core.pipeline import Choice, Pipeline
    from core.project import read_project, write_project
    from core.runtime.store import ResultStore

    demo = load_demo_corpus()
    year = Column("year", values=np.where(np.arange(len(demo)) % 9, np.arange(len(demo)), np.nan))
    corpus = Corpus(
        demo.name, demo.texts, demo.ids, demo.labels, demo.coarse_labels, (*demo.columns, year)
    )
    pipe = Pipeline(Choice(corpus, WORDLLAMA, "native"), ladder=(256, 16), store=ResultStore())
    write_project(pipe, tmp_path / "p")
    opened = read_project(tmp_path / "p").corpus
    assert [c.name for c in opened.columns] == ["theme", "topic", "year"]
    assert opened.columns == corpus.columns and opened == corpus
    assert np.isnan(opened.columns[2].values[0]) and opened.columns[2].values[1] == 1.0
