"""Compile numba's kernels before they are needed, on a background thread. Some of NN-descent's
kernels (the kNN above 50,000 documents) compile anew in every process: 15–17 s on this
project's machine with the rest read from numba's disk cache, and 47 s of a 100,000-document
corpus's first map before that cache (py-spy, fresh server). UMAP's load from the disk cache in
a few seconds."""

from __future__ import annotations

import threading

from core.analysis import brute_force, knn
from core.viz import layout


def warm_kernels(measure: str = "cosine") -> None:
    """Exact search's kernel and then UMAP's first (every corpus needs them, and numba compiles
    one thing at a time, so a small corpus would wait behind NN-descent's compile), then
    NN-descent's."""
    brute_force.warm_up()
    layout.warm_up()
    knn.warm_up(measure)


def warm_in_background() -> threading.Thread:
    """Start warm_kernels (cosine: the default measure and the maps') on a daemon thread. It
    runs at the server's own priority: at niceness +10 a 100k corpus chosen right after the
    server started waited for it, and showed its first map 137 s after the file was chosen
    against 114 s (one run each); small corpora's pages were not measurably slower."""
    thread = threading.Thread(target=warm_kernels, daemon=True, name="mge-warm-kernels")
    thread.start()
    return thread
