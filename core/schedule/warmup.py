"""Compile numba's kernels before they are needed, on a background thread. NN-descent's kernels
that take the distance function (the kNN above core.analysis.knn.EXACT_KNN_LIMIT documents)
compile anew in every process, and a large corpus's first map would wait for them; UMAP's and
exact search's kernels load from numba's disk cache."""

from __future__ import annotations

import threading


def warm_kernels(measure: str = "cosine") -> None:
    """Exact search's kernel and then UMAP's first (every corpus needs them, and numba compiles
    one thing at a time, so a small corpus would wait behind NN-descent's compile), then
    NN-descent's. numba, UMAP and pynndescent are imported here, on the warm-up's thread."""
    from core.analysis import brute_force, knn
    from core.viz import layout

    brute_force.warm_up()
    layout.warm_up()
    knn.warm_up(measure)


def warm_in_background() -> threading.Thread:
    """Start warm_kernels (cosine: the default measure and the maps') on a daemon thread. It
    runs at the server's own priority, not a lower one: a large corpus chosen right after the
    server starts waits for these kernels, so a lower priority only delays its first map, and
    small corpora's pages are not measurably slower beside it."""
    thread = threading.Thread(target=warm_kernels, daemon=True, name="mge-warm-kernels")
    thread.start()
    return thread
