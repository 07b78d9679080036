"""Short keyword names for communities by class-based TF-IDF."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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
            from scipy import sparse

            self.matrix = sparse.csr_matrix((len(texts), 0))
            self.terms = np.array([], dtype=object)

    def keywords(self, labels: np.ndarray, top: int = 3) -> dict[int, tuple[str, ...]]:
        """The `top` most distinctive terms of each community (c-TF-IDF)."""
        from scipy import sparse  # with scikit-learn's vectoriser: not on the map's path

        ids = np.unique(labels)
        if self.matrix.shape[1] == 0:
            return {int(c): () for c in ids}
        member = sparse.csr_matrix(
            (np.ones(labels.size), (np.searchsorted(ids, labels), np.arange(labels.size))),
            shape=(ids.size, labels.size),
        )
        counts = (member @ self.matrix).tocsr()  # communities × terms, sparse
        totals = np.maximum(np.asarray(counts.sum(axis=1)).ravel(), 1.0)
        average_words = self.matrix.sum() / max(ids.size, 1)
        idf = np.log1p(average_words / np.maximum(np.asarray(self.matrix.sum(axis=0)).ravel(), 1))
        scores = (sparse.diags(1.0 / totals) @ counts @ sparse.diags(idf)).tocsr()
        out = {}
        for row, c in enumerate(ids):
            start, end = scores.indptr[row], scores.indptr[row + 1]
            terms, values = scores.indices[start:end], scores.data[start:end]
            # highest score first, ties by term order (as a stable sort of the dense row)
            best = np.lexsort((terms, -values))[:top]
            out[int(c)] = tuple(str(self.terms[terms[j]]) for j in best if values[j] > 0)
        return out


def community_names(keywords: dict[int, tuple[str, ...]]) -> dict[int, str]:
    """A display name per community: its id and keywords, e.g. "3 · serve, racket, court"."""
    return {c: f"{c} · {', '.join(words)}" if words else f"{c}" for c, words in keywords.items()}
