"""2-D maps of a truncated embedding: UMAP per size, anchored on the full-size map, plus an
instant PCA map. Above MAP_POINT_LIMIT documents a map places a fixed sample of them (the rows the
map figure draws) and leaves the others at NaN: UMAP over a million points would keep a user
waiting far too long, and a screen shows no more points than the sample."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from core.analysis.knn import Neighbours, knn, sample_rows
from core.analysis.measures import unit_prefixes
from core.runtime.numba_cache import cache_package_kernels, release_gil, use_numba_cache

MIN_UMAP_ROWS = 10
MAP_POINT_LIMIT = 100_000  # more documents than this: maps place and draw a fixed sample
UMAP_NEIGHBOURS = 15
# Epochs for a map started from the full-size map: it starts near its answer, so half of UMAP's
# 200 keep its neighbourhoods almost as faithful in half the time; fewer lose clearly more.
WARM_EPOCHS = 100
# Above this many rows the full-size map runs WARM_EPOCHS too, not UMAP's 200: about half the
# wait for slightly less faithful neighbourhoods (epochs_note says so beside the map).
QUICK_MAP_ROWS = 50_000
# Above this many rows the full-size map starts from PCA rather than a spectral layout: the
# spectral initialisation takes a large share of the map's time there, and the maps it gives
# are no more faithful.
SPECTRAL_INIT_LIMIT = 20_000
# Above this many rows the full-size map starts from a sketch (sketch_layout): UMAP of a
# SKETCH_SAMPLE-row sample, every other row placed among its nearest sampled rows. The sketch is
# a real map the page can show long before the full map, which then refines it in place.
SKETCH_FROM = 50_000
SKETCH_SAMPLE = 20_000
_PLACE_NEIGHBOURS = 5


def pca_layout(unit_vectors: np.ndarray) -> np.ndarray:
    """The first two principal components: instant, used while UMAP runs and for tiny corpora.
    scikit-learn's covariance solver works on the d × d covariance rather than the n rows, and
    fixes each axis's sign (its largest loading positive), so a corpus always gets one picture."""
    n, d = unit_vectors.shape
    if n < 2 or not np.any(unit_vectors != unit_vectors[0]):
        return np.zeros((n, 2), dtype=np.float32)
    from sklearn.decomposition import PCA  # imported when first used: not on the map's path

    pca = PCA(n_components=min(2, d), svd_solver="covariance_eigh")
    coords = pca.fit_transform(unit_vectors)
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((n, 1), coords.dtype)])
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
    neighbours: Neighbours | None = None,
    n_epochs: int | None = None,
    seed: int = 42,
) -> np.ndarray:
    """UMAP (cosine) to 2-D; initialised from `init` and aligned to it so maps stay in register.

    kNN lists computed elsewhere (at least UMAP_NEIGHBOURS - 1 per row) are handed to UMAP,
    which then skips its own approximate search and that search's numba compile.
    """
    n = unit_vectors.shape[0]
    if n < MIN_UMAP_ROWS:
        layout = pca_layout(unit_vectors)
        return align(layout, init) if init is not None else layout
    umap = _umap()
    n_neighbors = min(UMAP_NEIGHBOURS, n - 1)
    if neighbours is None or neighbours.indices.shape[1] < n_neighbors - 1:
        neighbours = knn(unit_vectors, n_neighbors - 1)
    self_column = np.arange(n)[:, None]
    indices = np.hstack([self_column, neighbours.indices[:, : n_neighbors - 1]])
    similarities = neighbours.scores[:, : n_neighbors - 1]
    distances = np.hstack([np.zeros((n, 1)), 1.0 - similarities]).clip(min=0.0)
    reducer = umap.UMAP(
        precomputed_knn=(indices.astype(np.int64), distances.astype(np.float32)),
        n_components=2,
        n_neighbors=n_neighbors,
        min_dist=0.1,
        metric="cosine",
        random_state=seed,
        n_jobs=1,
        init=init if init is not None else "spectral" if n <= SPECTRAL_INIT_LIMIT else "pca",
        n_epochs=n_epochs,
    )
    with warnings.catch_warnings():  # we never call transform(), so no search index is needed
        warnings.filterwarnings("ignore", message="precomputed_knn")
        coords = reducer.fit_transform(unit_vectors)
    return align(coords, init) if init is not None else _standardise(coords)


@functools.cache
def _umap():
    """umap-learn, with numba's disk cache on for its kernels that take no function (see
    core.runtime.numba_cache.cache_package_kernels), so a new process loads the fuzzy graph's
    kernels rather than compiling them, and with its epoch kernel releasing the GIL, so the
    app's pages keep running Python while a map is made on a background thread. Both only on
    the versions core.runtime.numba_cache.WRITTEN_FOR names."""
    use_numba_cache()
    import umap
    from umap import layouts

    cache_package_kernels("umap")
    release_gil(layouts._nb_optimize_layout_euclidean_single_epoch)
    return umap


def map_rows(n: int) -> np.ndarray:
    """The rows a map of n documents places: all of them, or a fixed sample of MAP_POINT_LIMIT."""
    return sample_rows(n, MAP_POINT_LIMIT)


def placed_sample(n: int, limit: int) -> np.ndarray:
    """A fixed sample of at most `limit` of the rows a map places (all of them if fewer)."""
    placed = map_rows(n)
    return placed[sample_rows(len(placed), limit)]


def size_layout(
    vectors: np.ndarray,
    dim: int,
    *,
    full_layout: np.ndarray | None = None,
    neighbours: Neighbours | None = None,
) -> np.ndarray:
    """One size's map, started from `full_layout` and aligned to it: the full-size map for
    every other size, so all maps stay in register and any size can be computed next (the one
    on screen first), and for the full size itself its sketch (sketch_layout), above
    SKETCH_FROM rows. Without one, the full size starts from a spectral (above
    SPECTRAL_INIT_LIMIT rows, a PCA) layout, with fewer epochs above QUICK_MAP_ROWS. Above
    MAP_POINT_LIMIT rows only map_rows are placed, from their own neighbour lists, and the
    rest are NaN."""
    rows = map_rows(vectors.shape[0])
    if len(rows) < vectors.shape[0]:
        coords = np.full((vectors.shape[0], 2), np.nan, np.float32)
        start = None if full_layout is None else full_layout[rows]
        coords[rows] = size_layout(vectors[rows], dim, full_layout=start)
        return coords
    unit = unit_prefixes(vectors, dim)
    if full_layout is None:
        epochs = WARM_EPOCHS if len(unit) > QUICK_MAP_ROWS else None
        return umap_layout(unit, neighbours=neighbours, n_epochs=epochs)
    return umap_layout(unit, init=full_layout, neighbours=neighbours, n_epochs=WARM_EPOCHS)


def needs_sketch(n: int) -> bool:
    """Whether a full-size map of n documents starts from a sketch."""
    return len(map_rows(n)) > SKETCH_FROM


def sketch_layout(vectors: np.ndarray, dim: int) -> np.ndarray:
    """A first map of the rows a map places (map_rows; the rest NaN): UMAP of a seeded sample of
    SKETCH_SAMPLE of them, every other row at the similarity-weighted mean position of its
    _PLACE_NEIGHBOURS nearest sampled rows. It needs no kNN lists of the whole corpus, so it is
    ready while those are still being searched."""
    from core.analysis import brute_force

    n = vectors.shape[0]
    rows = map_rows(n)
    unit = unit_prefixes(vectors[rows], dim)
    sample = sample_rows(len(rows), SKETCH_SAMPLE)
    sampled = umap_layout(unit[sample])
    rest = np.setdiff1d(np.arange(len(rows)), sample)
    nearest, similarity = brute_force.search_queries(
        unit[sample], unit[rest], min(_PLACE_NEIGHBOURS, len(sample)), "cosine"
    )
    weight = np.where(nearest >= 0, np.clip(similarity, 1e-3, None), 0.0)
    total = weight.sum(axis=1, keepdims=True)
    placed = (weight[..., None] * sampled[np.maximum(nearest, 0)]).sum(axis=1)
    inside = np.full((len(rows), 2), np.nan, np.float32)
    inside[sample] = sampled
    inside[rest] = np.where(total > 0, placed / np.where(total > 0, total, 1.0), 0.0)
    coords = np.full((n, 2), np.nan, np.float32)
    coords[rows] = inside
    return coords


def epochs_note(n: int) -> str:
    """What a map of n documents gave up for speed, for a caption; empty below QUICK_MAP_ROWS."""
    if n <= QUICK_MAP_ROWS:
        return ""
    return (
        f"Above {QUICK_MAP_ROWS:,} documents the full-size UMAP map runs {WARM_EPOCHS} epochs, "
        "as every other size does, rather than UMAP's 200: half the wait, for slightly less "
        "faithful neighbourhoods (trustworthiness 0.787 against 0.795 on 100,000 docstrings)."
    )


def warm_up() -> None:
    """Compile (or load from the numba cache) UMAP's kernels on a tiny input, for a full-size
    map and for a map started from it, so a benchmark can time that one-off cost apart from the
    real fits and the app need not pay it on a user's first map."""
    vectors = np.random.default_rng(0).normal(size=(64, 8)).astype(np.float32)
    full = size_layout(vectors, 8)
    size_layout(vectors, 4, full_layout=full)
