"""Process-wide resources: the result store shared by every session, a warm image exporter, and
the worker process that makes maps with UMAP's kernels loaded ahead of need."""

from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from core.analysis.knn import Neighbours
from core.demo import seed as seed_demo
from core.runtime.store import ResultStore
from core.schedule.background import LANES
from core.schedule.map_worker import MapWorker
from core.schedule.warmup import import_view_libraries, warm_nn_descent_in_background


@st.cache_resource
def results() -> ResultStore:
    """The process-wide result store (per-size results survive reruns and page switches),
    holding the shipped demo results from the start (core.demo)."""
    store = ResultStore()
    seed_demo(store)
    return store


@st.cache_resource
def warm_exporter() -> threading.Thread:
    """Start one kaleido browser per server process, on a background thread so that no page
    waits for it, and image downloads need not wait for a browser to start."""
    from core.io.export import keep_exporter_warm

    thread = threading.Thread(target=keep_exporter_warm, daemon=True, name="mge-warm-exporter")
    thread.start()
    return thread


@st.cache_resource
def map_worker() -> MapWorker:
    """The server's map worker processes, one per heavy lane (core.schedule.background.LANES):
    the first starts compiling or loading UMAP's kernels at once, in its own process."""
    return MapWorker(LANES)


def make_map(
    vectors: np.ndarray, dim: int, full_layout: np.ndarray | None, lists: Neighbours
) -> np.ndarray:
    """The sessions' Mapper (core.pipeline): a size's map made on the map worker."""
    return map_worker().layout(vectors, dim, full_layout, lists)


@st.cache_resource
def warm_nn_descent() -> threading.Thread:
    """Compile NN-descent's per-process kernels once per server process (core.schedule.warmup),
    on a background thread: called when a corpus large enough to need them is uploaded, so they
    compile while it is read and embedded."""
    return warm_nn_descent_in_background()


@st.cache_resource
def view_libraries() -> threading.Thread:
    """Import the libraries a corpus's views need once per server process, on a background
    thread (core.schedule.warmup.import_view_libraries)."""
    thread = threading.Thread(target=import_view_libraries, daemon=True, name="mge-imports")
    thread.start()
    return thread


def warm_up_after_first_run() -> None:
    """From a session's second run on, start the map worker (its own process loads UMAP's
    kernels, taking nothing from this one's Python), the view libraries' import and the image
    exporter (once per process). Not on the first: the first page is the shipped demo, which
    needs none of them, and they would take the machine's cores (and this process's Python)
    while the browser fetches and draws the demo's map."""
    if st.session_state.get("warm_up_due"):
        map_worker()
        view_libraries()
        warm_exporter()
    st.session_state.warm_up_due = True
