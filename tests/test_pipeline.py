"""The one orchestration: results keyed by everything they depend on, shared through one store."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core import pictures
from core.analysis.ladder import GraphSettings
from core.embed.models import WORDLLAMA
from core.io.corpus import Corpus
from core.io.queries import labels_query_set, read_queries
from core.io.vectors import UploadedVectors, upload_vectors
from core.pipeline import Choice, Pipeline
from core.runtime.errors import ExplorerError
from core.runtime.store import ResultStore
from tests.support import count_searches


def _corpus(name: str = "c", n: int = 60, ids_prefix: str = "d") -> Corpus:
    topics = ("comets and telescopes", "ferns and mosses", "tango and waltz")
    texts = tuple(f"{topics[i % 3]} note {i}" for i in range(n))
    return Corpus(name, texts, tuple(f"{ids_prefix}{i}" for i in range(n)))


def _vectors(n: int = 60, d: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(3, d)) * 3
    return (centres[np.arange(n) % 3] + rng.normal(size=(n, d))).astype(np.float32)


def _pipeline(corpus: Corpus, store: ResultStore, ladder=(), seed: int = 0) -> Pipeline:
    import io

    buffer = io.BytesIO()
    np.save(buffer, _vectors(len(corpus), seed=seed))
    uploaded = upload_vectors("v.npy", buffer.getvalue(), corpus, matryoshka=True)
    choice = Choice(corpus, uploaded.spec, "native")
    return Pipeline(
        choice, settings=GraphSettings(k=5), ladder=ladder, store=store, uploaded=uploaded
    )


def test_default_ladder_and_views_come_from_one_store():
    store = ResultStore()
    pipe = _pipeline(_corpus(), store)
    assert pipe.dims == [32, 24, 16, 8]
    views = pipe.views()
    assert list(views) == pipe.dims
    again = _pipeline(_corpus(), store).views()
    assert all(again[d] is views[d] for d in pipe.dims)  # a second session reuses the work


def test_graph_settings_change_communities_without_searching_again(monkeypatch):
    store = ResultStore()
    _pipeline(_corpus(), store).views()
    searches = count_searches(monkeypatch)
    other = _pipeline(_corpus(), store)
    other.settings = GraphSettings(k=3, kind="mutual", resolution=2.0)
    assert (
        other.views()[8].graph.edge_count < _pipeline(_corpus(), store).views()[8].graph.edge_count
    )
    other.layouts()
    other.fidelity(k=4)
    assert searches == []  # kNN lists are computed once per size at the largest k needed


def test_the_search_counter_sees_searches_in_maps_and_fidelity(monkeypatch):
    searches = count_searches(monkeypatch)
    pipe = _pipeline(_corpus(), ResultStore())
    pipe.views()
    assert len(searches) == len(pipe.dims)  # one per size, from the pipeline itself
    from core.viz.layout import size_layout

    size_layout(pipe.vectors, 8)  # a map given no lists searches for its own
    assert len(searches) == len(pipe.dims) + 1


def test_another_label_column_keeps_embeddings_graphs_and_maps(monkeypatch):
    store = ResultStore()
    plain = _corpus()
    first = _pipeline(plain, store)
    views, coords = first.views(), first.layout(8)
    labelled = Corpus(
        plain.name, plain.texts, plain.ids, labels=tuple("ab"[i % 2] for i in range(60))
    )
    assert labelled.fingerprint != plain.fingerprint
    assert labelled.documents_fingerprint == plain.documents_fingerprint
    assert first.uploaded.matches(labelled)  # the uploaded vectors stay with the documents
    searches = count_searches(monkeypatch)
    again = Pipeline(
        Choice(labelled, first.uploaded.spec, "native"),
        settings=first.settings,
        store=store,
        uploaded=first.uploaded,
    )
    assert all(again.views()[d] is views[d] for d in first.dims)
    assert again.layout(8) is coords and searches == []
    assert pictures.hovers(again) != pictures.hovers(first)  # what shows the labels follows them


def test_maps_start_from_the_full_size_map_alone_so_any_ladder_reuses_them():
    store = ResultStore()
    short = _pipeline(_corpus(), store, ladder=(32, 8))
    assert not short.map_coords(8)[1]  # a PCA preview until its own map is computed
    coords_8 = short.layout(8)  # computes the full-size map first, then this one
    assert len(short.stored_layouts()) == len(short.dims)
    full = _pipeline(_corpus(), store)
    assert set(full.stored_layouts()) == {32, 8}  # 24 and 16 are still to be made
    np.testing.assert_array_equal(full.map_coords(8)[0], coords_8)


def test_network_page_is_keyed_by_the_document_ids_not_only_the_texts():
    store = ResultStore()
    first = pictures.network_html(_pipeline(_corpus(), store), 8)
    renamed = pictures.network_html(_pipeline(_corpus(ids_prefix="renamed-"), store), 8)
    assert "renamed-0" in renamed and "renamed-0" not in first


def test_uploaded_vectors_are_bound_to_their_corpus():
    corpus = _corpus()
    pipe = _pipeline(corpus, ResultStore())
    same_size = Corpus("other", tuple(t + " changed" for t in corpus.texts), corpus.ids)
    assert not pipe.uploaded.matches(same_size)
    with pytest.raises(ExplorerError, match="uploaded for another corpus"):
        pipe.uploaded.for_corpus(same_size)
    stale = Pipeline(
        Choice(same_size, pipe.uploaded.spec, "native"), store=ResultStore(), uploaded=pipe.uploaded
    )
    with pytest.raises(ExplorerError, match="uploaded for another corpus"):
        stale.raw()


def test_choice_fingerprint_changes_with_texts_ids_and_ordering():
    corpus = _corpus()
    base = Choice(corpus, WORDLLAMA, "native")
    assert base.fingerprint != Choice(corpus, WORDLLAMA, "pca").fingerprint
    assert base.fingerprint != Choice(_corpus(ids_prefix="x"), WORDLLAMA, "native").fingerprint
    assert base.fingerprint == Choice(_corpus(name="renamed"), WORDLLAMA, "native").fingerprint


QUERIES = b"query,relevant\na,d0\nb,d1\nc,d2\n"


def _metrics(table) -> list[float]:
    return table[["recall_at_k", "ndcg_at_10", "mrr_at_10", "hit_at_k"]].to_numpy().ravel().tolist()


def test_labels_as_answers_follow_the_label_column_in_a_shared_store():
    store = ResultStore()
    plain = _corpus()
    # the vectors gather the documents by i % 3: one label column follows them, one does not
    topic = dataclasses.replace(plain, labels=tuple(str(i % 3) for i in range(60)))
    theme = dataclasses.replace(plain, labels=tuple(str(i // 30) for i in range(60)))
    first = _pipeline(topic, store)
    by_topic = first.retrieval(labels_query_set(topic, 30))
    again = Pipeline(
        Choice(theme, first.uploaded.spec, "native"),
        settings=first.settings,
        store=store,
        uploaded=first.uploaded,
    )
    by_theme = again.retrieval(labels_query_set(theme, 30))
    alone = _pipeline(theme, ResultStore()).retrieval(labels_query_set(theme, 30))
    assert by_topic["ndcg_at_10"].iloc[0] > 0.9 > by_theme["ndcg_at_10"].iloc[0]
    assert _metrics(by_theme) == pytest.approx(_metrics(alone))


def test_query_vectors_uploaded_again_give_their_own_table_in_a_shared_store():
    store = ResultStore()
    corpus = _corpus()
    found = read_queries("q.csv", QUERIES, corpus.ids)
    near = _vectors()[:3]  # each query is its answer's own vector: found first
    first = _pipeline(corpus, store)
    first.adopt_query_vectors(found, near)
    assert first.retrieval(found)["mrr_at_10"].iloc[0] == 1.0
    second = _pipeline(corpus, store)
    second.adopt_query_vectors(found, -near)  # pointing away from every answer
    assert second.retrieval(found)["mrr_at_10"].iloc[0] == 0.0
    assert first.retrieval(found)["mrr_at_10"].iloc[0] == 1.0  # each keeps its own vectors


def test_a_table_made_from_a_projects_vectors_is_found_for_those_vectors_alone():
    store = ResultStore()
    corpus = _corpus()
    found = read_queries("q.csv", QUERIES, corpus.ids)

    def opened(seed: int) -> Pipeline:
        """A project of a model: the vectors come with it, not from the model."""
        vectors = UploadedVectors(_vectors(seed=seed), WORDLLAMA, corpus.documents_fingerprint)
        pipe = Pipeline(
            Choice(corpus, WORDLLAMA, "native"),
            settings=GraphSettings(k=5),
            ladder=(32, 8),
            store=store,
            uploaded=vectors,
        )
        pipe.adopt_query_vectors(found, _vectors(seed=seed)[:3])
        return pipe

    table = opened(0).retrieval(found)
    assert opened(0).retrieval(found) is table  # the project's own session finds it
    assert opened(1).retrieval(found) is not table


def test_maps_are_made_by_the_mapper_given_with_what_a_map_starts_from():
    asked = []

    def mapper(vectors, dim, full_layout, lists):
        asked.append((vectors.shape, dim, full_layout is None, lists.indices.shape))
        return np.full((len(vectors), 2), dim, np.float32)

    pipe = _pipeline(_corpus(), ResultStore())
    pipe.mapper = mapper
    smaller = pipe.dims[1]
    assert (pipe.layout(smaller) == smaller).all()
    k = pipe.list_k("cosine")
    assert asked == [((60, 32), 32, True, (60, k)), ((60, 32), smaller, False, (60, k))]
