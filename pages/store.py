"""Process-wide resources: the result store shared by every session, and a warm image exporter."""

from __future__ import annotations

import streamlit as st

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
