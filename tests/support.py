"""Builders the tests share: a zip archive of given files, a crowded zip directory and a check
that it is refused unlisted, a pipeline over given vectors, and a counter of kNN searches."""

from __future__ import annotations

import io
import struct
import sys
import tracemalloc
import zipfile
from collections.abc import Callable, Sequence

import numpy as np

from core.analysis.colour_by import Grouping
from core.analysis.ladder import GraphSettings
from core.io.corpus import Corpus
from core.io.vectors import UploadedVectors, vectors_spec
from core.pipeline import Choice, Pipeline
from core.runtime.store import ResultStore
from core.viz.map_labels import LabelLevels
from core.viz.map_scene import MapScene


def zip_of(files: dict[str, bytes]) -> bytes:
    """A deflated zip archive of name -> content, as a user would upload it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def crowded_zip(entries: int, declared: int | None = None) -> bytes:
    """A zip whose central directory lists `entries` empty one-byte names (46 + 1 bytes each,
    built directly rather than through zipfile, which would take seconds), its end record
    declaring `declared` of them (default: all); a zip64 end record when the count needs one."""
    declared = entries if declared is None else declared
    header = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0
    )
    directory = (header + b"a") * entries
    size = len(directory)
    tail = b""
    if declared > 0xFFFF:
        zip64 = struct.pack(
            "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, declared, declared, size, 0
        )
        locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, size, 1)
        tail, declared = zip64 + locator, 0xFFFF
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, declared, declared, size, 0, 0)
    return directory + tail + end


# What refusing a crowded zip may take at most: far below the ~90 MB zipfile's listing of
# 200,000 entries takes, with room for allocations of other threads (tracemalloc traces every
# thread, and a test's background imports or precomputes may still be running).
UNLISTED_PEAK = 16 * 2**20


def refused_unlisted(read: Callable[[], object], match: str, monkeypatch) -> int:
    """Run `read`, which must raise an ExplorerError matching `match` without zipfile listing
    any central directory; the peak memory its second run took, in bytes."""
    import pytest

    from core.runtime.errors import ExplorerError

    def listed(self):
        raise AssertionError("zipfile listed the archive's entries before they were counted")

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", listed)
    with pytest.raises(ExplorerError, match=match):
        read()  # once untraced: a first import (and its bytecode compile) is not the reading
    tracemalloc.start()
    try:
        with pytest.raises(ExplorerError, match=match):
            read()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


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


def map_scene(
    coords: np.ndarray,
    labels: np.ndarray,
    names: dict[int, str],
    *,
    colour_title: str = "community",
    values: np.ndarray | None = None,
    **fields,
) -> MapScene:
    """A map scene of plain arrays (as core.pictures.map_scene builds from a pipeline): the
    points grouped by `labels` named by `names`, or with `values` on a scale."""
    return MapScene(coords, Grouping(colour_title, labels, names, values), **fields)


def ladder_scenes(
    layouts: dict[int, np.ndarray],
    labels: dict[int, np.ndarray],
    names: dict[int, dict[int, str]] | None = None,
    *,
    names_on_map: bool = False,
) -> dict[int, MapScene]:
    """Each size's scene from its map, groups and their names (as core.pictures.ladder_scenes
    builds from a pipeline); with `names_on_map` the names are written on each map too."""
    named = names or {}
    return {
        d: map_scene(
            layouts[d],
            labels[d],
            named.get(d, {}),
            names_on_map=LabelLevels(named[d]) if names_on_map else None,
        )
        for d in layouts
    }
