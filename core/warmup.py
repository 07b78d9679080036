"""Compile numba's kernels before they are needed, on a background thread that only takes idle
CPU. NN-descent's kernels (the kNN above 50,000 documents) compile anew in every process, which
took ~47 s of a 100,000-document corpus's first map (py-spy, fresh server); UMAP's load from
numba's disk cache in a few seconds."""

from __future__ import annotations

import os
import threading

from core.analysis import knn
from core.viz import layout

NICENESS = 10  # added to the thread's niceness: interactive work on the same cores goes first


def warm_kernels(measure: str = "cosine") -> None:
    """UMAP's kernels first (every corpus's map needs them, and numba compiles one thing at a
    time, so a small corpus's map would wait behind NN-descent's compile), then NN-descent's."""
    layout.warm_up()
    knn.warm_up(measure)


def _lowly() -> None:
    me = threading.get_native_id()  # on Linux the priority of a thread id is this thread's alone
    os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + NICENESS))
    warm_kernels()


def warm_in_background() -> threading.Thread:
    """Start warm_kernels (cosine, the default and the maps' measure) on a daemon thread at
    NICENESS more niceness."""
    thread = threading.Thread(target=_lowly, daemon=True, name="mge-warm-kernels")
    thread.start()
    return thread
