"""The int8 index's single-query kernel (core.analysis.indexes.Int8Index), compiled by numba;
a module of its own so that importing the indexes, as every page does through the retrieval
table, imports no numba."""

from __future__ import annotations

import numpy as np

from core.runtime.numba_cache import use_numba_cache

use_numba_cache()
from numba import njit  # noqa: E402  (after the cache folder is set)


@njit(cache=True, nogil=True, fastmath=True)
def code_products(codes, weights, out):  # pragma: no cover (compiled)
    """out[r] = codes[r] · weights for int8 codes and float32 weights: one pass over the codes
    (d bytes per row) with no float copy of them. fastmath lets the sum be vectorised."""
    rows, dims = codes.shape
    for r in range(rows):
        total = np.float32(0.0)
        for j in range(dims):
            total += np.float32(codes[r, j]) * weights[j]
        out[r] = total
