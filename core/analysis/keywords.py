"""Short keyword names for communities by class-based TF-IDF."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse


class TermCounts:
    """Document-term counts for a corpus, computed once and reused for every dimension."""

    def __init__(self, texts: Sequence[str]):
        from sklearn.feature_extraction.text import CountVectorizer

        vectorizer = CountVectorizer(
            stop_words="english", token_pattern=r"(?u)\b[^\W\d_]{3,}\b", min_df=1
        )
        try:
            self.matrix = vectorizer.fit_transform(texts).tocsr()
            self.terms = vectorizer.get_feature_names_out()
        except ValueError:  # no usable words at all (e.g. only numbers or stop words)
            self.matrix = sparse.csr_matrix((len(texts), 0))
            self.terms = np.array([], dtype=object)

    def keywords(self, labels: np.ndarray, top: int = 3) -> dict[int, tuple[str, ...]]:
        """The `top` most distinctive terms of each community (c-TF-IDF)."""
        ids = np.unique(labels)
        if self.matrix.shape[1] == 0:
            return {int(c): () for c in ids}
        member = sparse.csr_matrix(
            (np.ones(labels.size), (np.searchsorted(ids, labels), np.arange(labels.size))),
            shape=(ids.size, labels.size),
        )
        tf = np.asarray((member @ self.matrix).todense(), dtype=np.float64)
        tf /= np.maximum(tf.sum(axis=1, keepdims=True), 1.0)
        average_words = self.matrix.sum() / max(ids.size, 1)
        idf = np.log1p(average_words / np.maximum(np.asarray(self.matrix.sum(axis=0)).ravel(), 1))
        scores = tf * idf
        out = {}
        for row, c in enumerate(ids):
            best = np.argsort(-scores[row], kind="stable")[:top]
            out[int(c)] = tuple(str(self.terms[j]) for j in best if scores[row, j] > 0)
        return out


def community_names(keywords: dict[int, tuple[str, ...]]) -> dict[int, str]:
    """A display name per community: its id and keywords, e.g. "3 · serve, racket, court"."""
    return {c: f"{c} · {', '.join(words)}" if words else f"{c}" for c, words in keywords.items()}
