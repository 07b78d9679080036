"""Communities of a similarity graph (Leiden, fixed seed), matched across sizes."""

from __future__ import annotations

import numpy as np

from core.analysis.graph import Graph


def communities(graph: Graph, *, resolution: float = 1.0, seed: int = 42) -> np.ndarray:
    """Leiden communities (modularity with a resolution), numbered by size, largest first."""
    import igraph as ig
    import leidenalg

    g = ig.Graph(n=graph.n, edges=np.column_stack([graph.src, graph.dst]).tolist())
    weights = np.clip(graph.weight, 1e-6, None).tolist()
    partition = leidenalg.find_partition(
        g,
        leidenalg.RBConfigurationVertexPartition,
        weights=weights,
        resolution_parameter=resolution,
        seed=seed,
        n_iterations=-1,
    )
    raw = np.asarray(partition.membership, dtype=np.int64)
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
