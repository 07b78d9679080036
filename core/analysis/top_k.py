"""Exact k-nearest-neighbour search with numpy alone, for corpora small enough that a block of
queries' scores against every stored row fits in memory at once. It gives the lists that
core.analysis.brute_force gives, without its compiled merge kernel: on a fresh install that
kernel's compile (about a second, and numba's import) would be most of a small corpus's wait."""

from __future__ import annotations

import numpy as np

from core.analysis.measures import scores

_BLOCK_CELLS = 2**22  # query × stored scores per block: 16 MB as float32


def search(points: np.ndarray, rows: np.ndarray, k: int, measure: str) -> tuple:
    """As core.analysis.brute_force.search: (indices, scores) of the k best-scoring other rows
    of `points` for each of `rows` under `measure`, best first, ties by lower row index; entries
    a row could not fill (NaN scores) are -1 and -inf."""
    points = np.ascontiguousarray(points, dtype=np.float32)
    rows = np.asarray(rows, dtype=np.int64)
    indices = np.full((len(rows), k), -1, dtype=np.int32)
    best = np.full((len(rows), k), -np.inf, dtype=np.float32)
    step = max(1, _BLOCK_CELLS // max(1, points.shape[0]))
    for start in range(0, len(rows), step):
        part = slice(start, start + step)
        block = scores(points[rows[part]], points, measure)
        indices[part], best[part] = _block_top_k(block, rows[part], k)
    return indices, best


def _block_top_k(block: np.ndarray, own: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k best entries of `block` (queries × stored scores, changed in place), its own
    column `own` and NaN left out, best first and ties by lower column, as the merge kernel
    keeps them. A partition finds k best entries per row; where scores equal to the k-th best
    reach past it (duplicates, say), the row is taken again by best_rows, which lists the equal
    ones from the lowest column up."""
    b, n = block.shape
    block[np.isnan(block)] = -np.inf
    block[np.arange(b), own] = -np.inf
    kept = min(k, n)
    found = np.argpartition(block, n - kept, axis=1)[:, n - kept :]
    kth = np.take_along_axis(block, found, axis=1).min(axis=1, keepdims=True)
    tied = (kth[:, 0] > -np.inf) & (
        (block >= kth).sum(axis=1) > kept  # more scores reach the k-th best than fit
    )
    for row in np.flatnonzero(tied):
        found[row] = best_rows(block[row], kept)
    best = np.take_along_axis(block, found, axis=1)
    order = np.lexsort((found, -best), axis=1)
    found, best = np.take_along_axis(found, order, 1), np.take_along_axis(best, order, 1)
    missing = best == -np.inf  # a row with fewer than k scores to list (NaN, or k > n - 1)
    indices = np.full((b, k), -1, dtype=np.int32)
    scores_out = np.full((b, k), -np.inf, dtype=np.float32)
    indices[:, :kept] = np.where(missing, -1, found)
    scores_out[:, :kept] = best
    return indices, scores_out


def best_rows(found: np.ndarray, k: int, exclude: int | None = None) -> np.ndarray:
    """The rows of the k highest of one query's scores `found` (overwritten at `exclude`), best
    first, equal scores to the lower row."""
    n = found.shape[0]
    k = min(k, n if exclude is None else n - 1)
    if k < 1:
        raise ValueError("search needs at least one row to return")
    if exclude is not None:
        found[exclude] = -np.inf  # below every real score, so never among the k returned
    kth = np.partition(found, n - k)[n - k]
    above = np.flatnonzero(found > kth)
    tied = np.flatnonzero(found == kth)[: k - above.size]
    picked = np.concatenate([above, tied])
    return picked[np.lexsort((picked, -found[picked]))].astype(np.int64)
