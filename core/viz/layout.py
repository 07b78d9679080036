"""2-D maps of a truncated embedding: UMAP chained down the ladder, plus an instant PCA map."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from core.analysis.knn import knn, truncate
from core.embed.cache import cache_dir

MIN_UMAP_ROWS = 10


def _set_numba_cache() -> None:
    """numba caches compiled UMAP kernels on disk, which cuts `import umap` from ~16 s to ~2 s."""
    os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))


def pca_layout(unit_vectors: np.ndarray) -> np.ndarray:
    """The first two principal components: instant, used while UMAP runs and for tiny corpora."""
    centred = unit_vectors - unit_vectors.mean(axis=0)
    if centred.shape[0] < 2 or not np.any(centred):
        return np.zeros((unit_vectors.shape[0], 2), dtype=np.float32)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    coords = centred @ vt[:2].T
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((coords.shape[0], 1))])
    return _standardise(coords)


def _standardise(coords: np.ndarray) -> np.ndarray:
    centred = coords - coords.mean(axis=0)
    scale = np.sqrt((centred**2).sum(axis=1).mean())
    return (centred / (scale if scale > 0 else 1.0)).astype(np.float32)


def align(coords: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Rotate/reflect coords onto reference (orthogonal Procrustes), both standardised."""
    from scipy.linalg import orthogonal_procrustes

    a, b = _standardise(coords), _standardise(reference)
    rotation, _ = orthogonal_procrustes(a, b)
    return (a @ rotation).astype(np.float32)


def umap_layout(
    unit_vectors: np.ndarray,
    *,
    init: np.ndarray | None = None,
    n_neighbors: int = 15,
    seed: int = 42,
) -> np.ndarray:
    """UMAP (cosine) to 2-D; initialised from `init` and aligned to it so maps stay in register.

    The exact kNN is computed here (fast blocked top-k) and handed to UMAP, which skips its
    approximate search and that search's numba compile.
    """
    n = unit_vectors.shape[0]
    if n < MIN_UMAP_ROWS:
        layout = pca_layout(unit_vectors)
        return align(layout, init) if init is not None else layout
    _set_numba_cache()
    import umap

    n_neighbors = min(n_neighbors, n - 1)
    neighbours = knn(unit_vectors, n_neighbors - 1)
    self_column = np.arange(n)[:, None]
    indices = np.hstack([self_column, neighbours.indices])
    distances = np.hstack([np.zeros((n, 1)), 1.0 - neighbours.similarities]).clip(min=0.0)
    reducer = umap.UMAP(
        precomputed_knn=(indices, distances.astype(np.float32)),
        n_components=2,
        n_neighbors=n_neighbors,
        min_dist=0.1,
        metric="cosine",
        random_state=seed,
        n_jobs=1,
        init=init if init is not None else "spectral",
        n_epochs=200 if init is not None else None,
    )
    with warnings.catch_warnings():  # we never call transform(), so no search index is needed
        warnings.filterwarnings("ignore", message="precomputed_knn")
        coords = reducer.fit_transform(unit_vectors)
    return align(coords, init) if init is not None else _standardise(coords)


def iter_layouts(
    vectors: np.ndarray, dims: Sequence[int], existing: dict[int, np.ndarray] | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (dim, layout) for each missing size, largest first, each UMAP initialised from the
    next larger size's layout so the maps stay in register; resumable from `existing`."""
    done = dict(existing or {})
    previous = None
    for dim in sorted(set(dims), reverse=True):
        if dim not in done:
            done[dim] = umap_layout(truncate(vectors, dim), init=previous)
            yield dim, done[dim]
        previous = done[dim]


def ladder_layouts(
    vectors: np.ndarray,
    dims: Sequence[int],
    *,
    progress: Callable[[int, int, int], None] | None = None,
) -> dict[int, np.ndarray]:
    """UMAP layouts for every size of the ladder (see iter_layouts)."""
    layouts: dict[int, np.ndarray] = {}
    for step, (dim, coords) in enumerate(iter_layouts(vectors, dims), start=1):
        layouts[dim] = coords
        if progress:
            progress(step, len(set(dims)), dim)
    return layouts


def warm_up() -> None:
    """Compile (or load from the numba cache) UMAP's kernels on a tiny input, so a benchmark can
    time that one-off cost apart from the real fits."""
    rng = np.random.default_rng(0)
    umap_layout(truncate(rng.normal(size=(64, 8)).astype(np.float32), 8))
