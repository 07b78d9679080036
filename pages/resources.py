"""Process-wide resources: the result store shared by every session, a warm image exporter, and
numba's kernels compiled ahead of need."""

from __future__ import annotations

import threading

import streamlit as st

from core.demo import seed as seed_demo
from core.runtime.store import ResultStore
from core.schedule.warmup import warm_in_background


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
def warm_kernels() -> threading.Thread:
    """Compile UMAP's and NN-descent's kernels once per server process, on a background thread
    at the server's own priority, so a first map need not wait for them (core.schedule.warmup)."""
    return warm_in_background()


def warm_up_after_first_run() -> None:
    """From a session's second run on, start the image exporter and the kernel warm-up (once
    per process). Not on the first: the first page is the shipped demo, which needs neither,
    and their imports and compiles would hold Python's lock while the browser fetches the map."""
    if st.session_state.get("warm_up_due"):
        warm_kernels()
        warm_exporter()
    st.session_state.warm_up_due = True
