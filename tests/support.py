"""Builders the tests share: a zip archive of given files, a pipeline over given vectors, and a
counter of kNN searches."""

from __future__ import annotations

import io
import sys
import zipfile
from collections.abc import Sequence

import numpy as np

from core.analysis.ladder import GraphSettings
from core.io.corpus import Corpus
from core.io.vectors import UploadedVectors, vectors_spec
from core.pipeline import Choice, Pipeline
from core.runtime.store import ResultStore


def zip_of(files: dict[str, bytes]) -> bytes:
    """A deflated zip archive of name -> content, as a user would upload it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def pipeline_of(
    vectors: np.ndarray,
    texts: Sequence[str],
    *,
    ladder: Sequence[int] = (),
    settings: GraphSettings | None = None,
    ordering: str = "native",
) -> Pipeline:
    """The app's pipeline over `vectors` uploaded for documents `texts` with ids d0, d1, …, on a
    store of its own; graph settings default to the app's."""
    corpus = Corpus("test", tuple(texts), tuple(f"d{i}" for i in range(len(texts))))
    vectors = np.asarray(vectors, dtype=np.float32)
    spec = vectors_spec("vectors.npy", vectors, matryoshka=True)
    uploaded = UploadedVectors(vectors, spec, corpus.documents_fingerprint)
    return Pipeline(
        Choice(corpus, spec, ordering),
        settings=settings or GraphSettings(),
        ladder=ladder,
        store=ResultStore(),
        uploaded=uploaded,
    )


def count_searches(monkeypatch) -> list[tuple[int, int]]:
    """Every whole-corpus kNN search from now on, as (rows, dims), wherever `knn` was imported."""
    from core.analysis import knn as knn_module

    real, searches = knn_module.knn, []

    def counted(points, *args, **kwargs):
        searches.append(points.shape)
        return real(points, *args, **kwargs)

    for module in list(sys.modules.values()):
        if getattr(module, "knn", None) is real:
            monkeypatch.setattr(module, "knn", counted)
    return searches
