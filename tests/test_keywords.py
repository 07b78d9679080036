"""Tests for core.analysis.keywords: c-TF-IDF community keywords and their display names."""

from __future__ import annotations

import numpy as np

from core.analysis.keywords import TermCounts, community_names

GROUPS = {
    0: ["the racket and the serve", "a serve at the net", "serve aces with racket"],
    1: ["the violin and the bow", "a violin concerto", "violin strings and bow"],
    2: ["bake the bread dough", "bread from the oven", "sourdough bread loaf"],
}


def _corpus():
    texts, labels = [], []
    for group, docs in GROUPS.items():
        texts += [f"{doc} common shared words" for doc in docs]
        labels += [group] * len(docs)
    return texts, np.array(labels)


def test_keywords_pick_the_distinctive_word_of_each_group():
    texts, labels = _corpus()
    keywords = TermCounts(texts).keywords(labels)
    assert keywords[0][0] == "serve"
    assert keywords[1][0] == "violin"
    assert keywords[2][0] == "bread"
    assert all(len(words) == 3 for words in keywords.values())


def test_keywords_skip_stop_words_numbers_and_short_tokens():
    texts = ["the 2024 of an ox", "and the 1999 ox", "violin 42"]
    keywords = TermCounts(texts).keywords(np.array([0, 0, 1]))
    every = {w for words in keywords.values() for w in words}
    assert every == {"violin"}
    assert keywords[0] == ()


def test_keywords_use_non_contiguous_community_ids():
    texts, labels = _corpus()
    relabelled = np.array([7, 3, 12])[labels]
    keywords = TermCounts(texts).keywords(relabelled)
    assert set(keywords) == {3, 7, 12}
    assert keywords[7][0] == "serve" and keywords[3][0] == "violin"


def test_texts_without_usable_words_give_empty_keywords():
    terms = TermCounts(["123 456", "the of and", "", "!!"])
    assert terms.matrix.shape == (4, 0)
    assert terms.keywords(np.array([0, 1, 1, 2])) == {0: (), 1: (), 2: ()}


def test_community_names_join_id_and_keywords():
    names = community_names({0: ("serve", "racket"), 4: ()})
    assert names == {0: "0 · serve, racket", 4: "4"}


def test_sparse_keywords_equal_the_dense_c_tf_idf_with_ties_in_term_order():
    rng = np.random.default_rng(3)
    vocabulary = ["serve", "racket", "violin", "bread", "flour", "chess", "pawn", "river"]
    texts = [" ".join(rng.choice(vocabulary, size=rng.integers(1, 6))) for _ in range(120)]
    labels = rng.integers(0, 7, size=120)
    counts = TermCounts(texts)
    dense = counts.matrix.toarray().astype(float)
    ids = np.unique(labels)
    tf = np.array([dense[labels == c].sum(axis=0) for c in ids])
    tf /= np.maximum(tf.sum(axis=1, keepdims=True), 1.0)
    idf = np.log1p(dense.sum() / ids.size / np.maximum(dense.sum(axis=0), 1))
    scores = tf * idf
    expected = {
        int(c): tuple(
            str(counts.terms[j])
            for j in np.argsort(-scores[row], kind="stable")[:3]
            if scores[row, j] > 0
        )
        for row, c in enumerate(ids)
    }
    assert counts.keywords(labels) == expected
