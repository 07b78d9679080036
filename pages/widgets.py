"""Widgets shared by the pages: plain-text rendering, errors, progress, downloads, the sidebar."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import streamlit as st

from core.analysis.ladder import K_RANGE, RESOLUTION_RANGE
from core.analysis.measures import MEASURES
from core.analysis.text_match import find_documents
from core.io.corpus import Corpus
from core.io.export import export_name
from core.runtime.errors import ExplorerError
from core.runtime.limits import max_sizes

# Markdown's inline syntax, Streamlit's :directives:, $math$ and HTML; "-", "+", "." and "="
# only start a list, a rule or a heading at the start of a line
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]#!|<>~$:^&])|^([ \t]*)([-+=.]|\d+[.)])", re.M)


def plain(text: object) -> str:
    """User text (document ids, file names, model keys) made safe to pass where Streamlit renders
    Markdown: every character that would start Markdown is backslash-escaped, so the text shows
    exactly as written."""
    return _MARKDOWN_SPECIAL.sub(_escape, str(text))


def _escape(match: re.Match) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    indent, marker = match.group(2), match.group(3)  # "-", or "12." escaped before its "."
    return indent + marker[:-1] + "\\" + marker[-1]


def show_error(error: ExplorerError) -> None:
    """A user-fixable problem as a red box; its text (which names files) is shown as written."""
    st.error(plain(error), icon="⚠️")


def found_documents(corpus: Corpus, query: str, limit: int) -> list[int]:
    """The rows a document picker offers for `query` (core.analysis.text_match.find_documents);
    a query it refuses shows why and finds nothing."""
    try:
        return find_documents(corpus.texts, corpus.ids, query, limit)
    except ExplorerError as error:
        show_error(error)
        return []


def show_note(text: str) -> None:
    """Something the user should know about their data as a blue box, shown as written."""
    st.info(plain(text), icon="ℹ️")


class ProgressBar:
    """A progress callback (share, text) that draws a bar on first use, and removes it on exit;
    a result that is already computed reports nothing, so no bar flashes. Once a step has run a
    few seconds the bar adds an estimate of the time left."""

    def __init__(self) -> None:
        # The slot is there on every run, bar or not, so what follows keeps its place in the
        # page (an element that moves is mounted anew: the map would lose its zoom).
        self._slot = st.empty()
        self._bar = None
        self._start = time.monotonic()

    def __call__(self, share: float, text: str) -> None:
        share = min(max(share, 0.0), 1.0)
        if self._bar is None:
            self._start = time.monotonic()
            self._bar = self._slot.progress(share, text=text)
        else:
            left = time_left(share, time.monotonic() - self._start)
            self._bar.progress(share, text=f"{text} · {left}" if left else text)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.empty()


def time_left(share: float, elapsed: float) -> str:
    """ "about 2 min left" from the share done and the seconds taken so far; empty while too
    early to tell (under 3 s or 2 % in) or when done."""
    if elapsed < 3 or share < 0.02 or share >= 1:
        return ""
    seconds = elapsed * (1 - share) / share
    if seconds < 60:
        return f"about {max(5, round(seconds / 5) * 5)} s left"
    return f"about {round(seconds / 60)} min left"


Download = tuple[str, Callable[[], bytes], str, str, str]


def download_row(downloads: list[Download], stem: tuple) -> None:
    """Download buttons (label, lazy bytes, what, extension, mime) in one wrapping row; files are
    named from stem + what, and rendered only when clicked."""
    with st.container(horizontal=True):
        for label, make, what, ext, mime in downloads:
            st.download_button(
                label,
                data=make,
                file_name=export_name(*stem, what, ext=ext),
                mime=mime,
                key=f"dl-{label}",
            )


def notice() -> None:
    """A one-time note left by the previous run (e.g. uploaded vectors dropped)."""
    text = st.session_state.pop("notice", None)
    slot = st.empty()  # on every run, as ProgressBar's
    if text:
        with slot:
            show_note(text)


def measure_note(pipe, dim: int) -> None:
    """Say so when the chosen measure ranks almost like cosine at this size (every prefix has
    the same length within 0.1%), instead of pretending the choice makes a big difference."""
    if pipe.measure != "cosine" and pipe.ranks_alike(dim):
        st.caption(
            f"At {dim} dims every document's prefix has the same length within 0.1%, so "
            f"{MEASURES[pipe.measure].label.lower()} ranks neighbours as cosine does except "
            "between near-ties; the graph's edge weights, and so its communities, are still "
            "this measure's own and may differ slightly from cosine's."
        )


def sidebar_settings(corpus_name: str, documents: int, model_key: str) -> None:
    """Graph settings shared by every page, under a line naming the corpus and the model."""
    with st.sidebar:
        st.caption(f"Corpus: **{plain(corpus_name)}** · {documents:,} docs")
        st.caption(f"Model: **{plain(model_key)}**")
        st.subheader("Graph")
        measure = st.selectbox(
            "Similarity measure",
            list(MEASURES),
            format_func=lambda m: MEASURES[m].label,
            key="measure",
            help="Used by the kNN graph, communities, recall, Spearman, search and the network "
            "weights (maps are always drawn from cosine neighbours).",
        )
        st.caption(f"{MEASURES[measure].meaning} {MEASURES[measure].truncation}")
        st.slider("k nearest neighbours", *K_RANGE, key="k")  # defaults: state.init_state
        st.radio(
            "Graph",
            ["knn", "mutual"],
            format_func={"knn": "kNN (either is a neighbour)", "mutual": "mutual kNN (both)"}.get,
            key="graph_kind",
        )
        st.slider(
            "Community resolution",
            *RESOLUTION_RANGE,
            step=0.05,
            key="resolution",
            help="Leiden modularity resolution: higher gives more, smaller communities.",
        )
        st.subheader("Ladder")
        st.text_input(
            "Dimension ladder",
            key="ladder_text",
            placeholder="default: full size, halving to 8",
            help="Sizes to compute, e.g. 256, 128, 64, 32, 16, 8. The full size is always kept; "
            f"sizes above it are ignored. At most {max_sizes()} sizes.",
        )
