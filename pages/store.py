"""Process-wide resources: the result store shared by every session, a warm image exporter and
warm numba kernels."""

from __future__ import annotations

import threading

import streamlit as st

from core.background import warm_up_in_background
from core.io.export import keep_exporter_warm
from core.store import ResultStore


@st.cache_resource
def results() -> ResultStore:
    """The process-wide result store (per-size results survive reruns and page switches)."""
    return ResultStore()


@st.cache_resource
def warm_exporter() -> bool:
    """Start one kaleido browser per server process so image downloads take ~0.3 s."""
    keep_exporter_warm()
    return True


@st.cache_resource
def warm_compilers() -> threading.Thread:
    """Compile the large-corpus kernels (NN-descent, UMAP) once per server, in the background."""
    return warm_up_in_background()
