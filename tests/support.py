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


def clustered_ladder(
    n: int, dims: Sequence[int], communities: int, *, seed: int = 0
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray], dict[int, dict[int, str]]]:
    """Maps, communities and names of a synthetic ladder in register: `communities` blobs at the
    largest size whose neighbouring pairs merge step by step down `dims` (each step halves the
    count, down to one), the merging blobs' centres sliding together. Returns layouts, labels
    and names per size, as Pipeline.stored_layouts / lineage give them."""
    rng = np.random.default_rng(seed)
    ladder = sorted(dims, reverse=True)
    blob = rng.integers(0, communities, n)
    offsets = rng.normal(0, 0.35, (n, 2))
    centres = rng.uniform(-10, 10, (communities, 2))
    layouts, labels, names = {}, {}, {}
    for level, dim in enumerate(ladder):
        group = blob >> level  # ids are matched across sizes: a merge keeps the lower id
        parent = np.arange(communities) >> level
        merged = np.array([centres[parent == g].mean(axis=0) for g in range(parent.max() + 1)])
        share = min(level, 1) * 0.8
        placed = (1 - share) * centres[blob] + share * merged[group] + offsets * (1 + 0.3 * level)
        layouts[dim] = placed.astype(np.float32)
        labels[dim] = (group << level).astype(np.int64)
        names[dim] = {int(c): f"{c} · topic {c} words" for c in np.unique(labels[dim])}
    return layouts, labels, names


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
