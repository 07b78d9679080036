"""Process-wide resources: the result store shared by every session, a warm image exporter, and
numba's kernels compiled ahead of need."""

from __future__ import annotations

import threading

import streamlit as st

from core.demo import seed as seed_demo
from core.io.export import keep_exporter_warm
from core.runtime.store import ResultStore


@st.cache_resource
def results() -> ResultStore:
    """The process-wide result store (per-size results survive reruns and page switches),
    holding the shipped demo results from the start (core.demo)."""
    store = ResultStore()
    seed_demo(store)
    return store


@st.cache_resource
def warm_exporter() -> bool:
    """Start one kaleido browser per server process, so image downloads need not wait for one."""
    keep_exporter_warm()
    return True


@st.cache_resource
def warm_kernels() -> threading.Thread:
    """Compile UMAP's and NN-descent's kernels once per server process, on a background thread
    at the server's own priority, so a first map need not wait for them (core.schedule.warmup)."""
    from core.schedule.warmup import warm_in_background  # numba, umap: after the first page

    return warm_in_background()
