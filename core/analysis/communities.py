"""Communities of a similarity graph (Leiden, fixed seed), matched across sizes."""

from __future__ import annotations

import random
import threading

import numpy as np

from core.analysis.graph import Graph

_RNG_LOCK = threading.Lock()
# Leiden passes over the graph: a few reach almost the modularity of running to convergence,
# in a fraction of its time on a large corpus's graphs.
LEIDEN_ITERATIONS = 5


def communities(graph: Graph, *, resolution: float = 1.0, seed: int = 42) -> np.ndarray:
    """Leiden communities maximising modularity with a resolution (igraph's C implementation,
    LEIDEN_ITERATIONS passes), numbered by size, largest first; the same seed gives the same
    partition."""
    import igraph as ig

    g = ig.Graph(n=graph.n, edges=np.column_stack([graph.src, graph.dst]).tolist())
    weights = np.clip(graph.weight, 1e-6, None).tolist()
    with _RNG_LOCK:  # igraph draws from one process-wide generator: seed it, one caller at a time
        ig.set_random_number_generator(random.Random(seed))
        try:
            found = g.community_leiden(
                objective_function="modularity",
                weights=weights,
                resolution=resolution,
                n_iterations=LEIDEN_ITERATIONS,
            )
        finally:
            ig.set_random_number_generator(random)
    raw = np.asarray(found.membership, dtype=np.int64)
    sizes = np.bincount(raw)
    rank = np.empty_like(sizes)
    rank[np.lexsort((np.arange(sizes.size), -sizes))] = np.arange(sizes.size)
    return rank[raw]


def match_communities(reference: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Renumber `labels` so each community takes the id of the reference community it overlaps most.

    One-to-one by maximum total overlap (Hungarian); communities left without a partner get
    fresh ids above every reference id, so colours stay stable as the slider moves.
    """
    from scipy.optimize import linear_sum_assignment

    ref_ids, ref_inv = np.unique(reference, return_inverse=True)
    new_ids, new_inv = np.unique(labels, return_inverse=True)
    overlap = np.zeros((new_ids.size, ref_ids.size), dtype=np.int64)
    np.add.at(overlap, (new_inv, ref_inv), 1)
    rows, cols = linear_sum_assignment(-overlap)
    mapping = np.full(new_ids.size, -1, dtype=np.int64)
    for r, c in zip(rows, cols, strict=True):
        if overlap[r, c] > 0:
            mapping[r] = ref_ids[c]
    next_id = int(ref_ids.max()) + 1
    for r in np.argsort(-np.bincount(new_inv, minlength=new_ids.size), kind="stable"):
        if mapping[r] < 0:
            mapping[r] = next_id
            next_id += 1
    return mapping[new_inv]
