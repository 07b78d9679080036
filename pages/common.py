"""Streamlit glue shared by the pages: session state, in-memory result cache, progress."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import streamlit as st

from core.analysis.keywords import TermCounts, community_names
from core.analysis.knn import truncate
from core.analysis.ladder import DimensionView, GraphSettings, compute_views, parse_dims
from core.embed.models import PRESETS, WORDLLAMA, ModelSpec, embed, resolve_model
from core.embed.ordering import Ordered, order_dimensions
from core.errors import ExplorerError
from core.io.corpus import Corpus, load_demo_corpus
from core.io.export import export_name, keep_exporter_warm
from core.io.vectors import UPLOADED, check_alignment
from core.pipeline import Choice, default_ordering, ladder_for
from core.viz.figures import hover_texts
from core.viz.layout import iter_layouts, pca_layout

MAX_RESULTS = 256


class _Results:
    """A bounded, thread-safe LRU of results keyed by content fingerprints (not by session)."""

    def __init__(self, limit: int = MAX_RESULTS):
        self._items: OrderedDict[tuple, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._limit = limit

    def get(self, key: tuple) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            return None

    def put(self, key: tuple, value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._limit:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@st.cache_resource
def warm_exporter() -> bool:
    """Start one kaleido browser per server process so image downloads take ~0.3 s."""
    keep_exporter_warm()
    return True


@st.cache_resource
def results() -> _Results:
    """The process-wide result store (per-dimension results survive reruns and page switches)."""
    return _Results()


def memo(key: tuple, compute: Callable[[], Any]) -> Any:
    """The stored result for key, computing and storing it when missing."""
    found = results().get(key)
    return found if found is not None else results().put(key, compute())


def require_entrypoint() -> None:
    """A page opened by URL before app.py ever ran in this server is run alone (Streamlit's
    legacy pages/ mode, which app.py's st.navigation switches off): hand over to app.py."""
    if "corpus" not in st.session_state:
        st.switch_page("app.py")


def init_state() -> None:
    """Defaults for a new session: the demo corpus with the offline Matryoshka model."""
    if "corpus" not in st.session_state:
        st.session_state.corpus = load_demo_corpus()
    st.session_state.setdefault("model_key", WORDLLAMA.key)
    st.session_state.setdefault("ordering_mode", "auto")


def current_spec() -> ModelSpec:
    key = st.session_state.model_key
    uploaded = st.session_state.get("uploaded_spec")
    if uploaded is not None and key == uploaded.key:
        return uploaded
    return PRESETS.get(key) or resolve_model(key)


def current_choice() -> Choice:
    spec = current_spec()
    mode = st.session_state.ordering_mode
    ordering = default_ordering(spec) if mode == "auto" else mode
    return Choice(st.session_state.corpus, spec, ordering)


def ordering_note(choice: Choice) -> str:
    """One sentence on how dimensions are ordered, so the picture is honest about it."""
    if choice.ordering == "pca":
        why = (
            "it is not Matryoshka-trained, so plain truncation would scramble it"
            if not choice.spec.is_matryoshka
            else "you chose PCA ordering"
        )
        return (
            f"Dimensions are ordered by PCA fitted on this corpus for **{choice.spec.key}** "
            f"({why}); the first d principal axes keep the most of all pairwise similarities."
        )
    return f"Dimensions are in **{choice.spec.key}**'s native order" + (
        " (Matryoshka-trained: prefixes are usable embeddings)."
        if choice.spec.is_matryoshka
        else "; this model is not Matryoshka-trained, so prefixes may lose structure."
    )


def memo_with_progress(
    key: tuple, start: str, compute: Callable[[Callable[[float, str], None]], Any]
) -> Any:
    """Like memo, but a missing result is computed under a progress bar; compute gets a
    report(share, text) callback."""
    found = results().get(key)
    if found is not None:
        return found
    bar = st.progress(0.0, text=start)
    value = compute(lambda share, text: bar.progress(share, text=text))
    bar.empty()
    return results().put(key, value)


def raw_vectors(choice: Choice) -> np.ndarray:
    """Full-size embeddings in the model's own order (disk-cached), with a progress bar."""
    key = ("raw", choice.fingerprint_without_ordering)
    if choice.spec.source == UPLOADED:
        return memo(
            key, lambda: check_alignment(st.session_state.uploaded_vectors, len(choice.corpus))
        )
    name = choice.spec.key
    return memo_with_progress(
        key,
        f"Embedding {len(choice.corpus)} documents with {name}…",
        lambda report: embed(
            choice.corpus.texts,
            choice.spec,
            progress=lambda done, total: report(
                done / total, f"Embedding with {name}: {done}/{total}"
            ),
        ),
    )


def ordered_vectors(choice: Choice) -> Ordered:
    """Embeddings in the chosen ordering."""
    return memo(
        ("ordered", choice.fingerprint),
        lambda: order_dimensions(raw_vectors(choice), choice.ordering),
    )


def term_counts(corpus: Corpus) -> TermCounts:
    return memo(("terms", hash(corpus.texts)), lambda: TermCounts(corpus.texts))


def ladder(choice: Choice, ordered: Ordered) -> list[int]:
    """The dims to explore: the user's edited ladder if any, else the model's default."""
    full = ordered.vectors.shape[1]
    typed = st.session_state.get("ladder_text", "").strip()
    return parse_dims(typed, full) if typed else ladder_for(choice.spec, full)


def graph_settings() -> GraphSettings:
    s = st.session_state
    return GraphSettings(
        k=int(s.get("k", 10)),
        kind=s.get("graph_kind", "knn"),
        resolution=float(s.get("resolution", 1.0)),
    )


def dimension_views(
    choice: Choice, ordered: Ordered, dims: list[int], settings: GraphSettings
) -> dict[int, DimensionView]:
    """Graph, communities, keywords and recall per dim, with a progress bar; cached per settings."""
    return memo_with_progress(
        ("views", choice.fingerprint, tuple(dims), settings),
        "Building the similarity graph and communities for each size…",
        lambda report: compute_views(
            ordered.vectors,
            dims,
            term_counts(choice.corpus),
            settings,
            progress=lambda step, total, dim: report(
                step / total, f"Graph and communities: {step}/{total} ({dim} dims)"
            ),
        ),
    )


def stored_layouts(choice: Choice, dims: list[int]) -> dict[int, np.ndarray]:
    """UMAP layouts already computed for this choice."""
    found = {d: results().get(("layout", choice.fingerprint, d)) for d in dims}
    return {d: v for d, v in found.items() if v is not None}


def compute_missing_layouts(choice: Choice, ordered: Ordered, dims: list[int]) -> int:
    """Compute and store the missing UMAP layouts with a progress bar; returns how many it made."""
    existing = stored_layouts(choice, dims)
    missing = len(set(dims) - set(existing))
    if not missing:
        return 0
    bar = st.progress(0.0, text=f"Computing UMAP maps for {missing} sizes (cached once done)…")
    for step, (dim, coords) in enumerate(iter_layouts(ordered.vectors, dims, existing), start=1):
        results().put(("layout", choice.fingerprint, dim), coords)
        bar.progress(step / missing, text=f"UMAP map {step}/{missing} done ({dim} dims)")
    bar.empty()
    return missing


def layout_or_preview(choice: Choice, ordered: Ordered, dim: int) -> tuple[np.ndarray, bool]:
    """The UMAP layout for dim if ready, else an instant PCA preview (and False)."""
    coords = results().get(("layout", choice.fingerprint, dim))
    if coords is not None:
        return coords, True
    preview = memo(
        ("pca-map", choice.fingerprint, dim), lambda: pca_layout(truncate(ordered.vectors, dim))
    )
    return preview, False


def hovers(corpus: Corpus) -> list[str]:
    return memo(
        ("hover", hash(corpus)), lambda: hover_texts(corpus.texts, corpus.ids, corpus.labels)
    )


def names_for(view: DimensionView) -> dict[int, str]:
    return community_names(view.keywords)


@dataclass(frozen=True)
class Context:
    """Everything a page needs about the current corpus, model, ladder and graph settings."""

    choice: Choice
    ordered: Ordered
    dims: list[int]
    settings: GraphSettings
    views: dict[int, DimensionView]

    @property
    def corpus(self) -> Corpus:
        return self.choice.corpus

    @property
    def full(self) -> int:
        return max(self.dims)


def context() -> Context:
    """Embed (with progress), order and build the ladder views; stop the page with a clear
    message when the user's choice cannot be used."""
    choice = current_choice()
    try:
        ordered = ordered_vectors(choice)
        dims = ladder(choice, ordered)
        settings = graph_settings()
        views = dimension_views(choice, ordered, dims, settings)
    except ExplorerError as error:
        show_error(error)
        st.stop()
    return Context(choice, ordered, dims, settings, views)


Download = tuple[str, Callable[[], bytes], str, str, str]


def download_row(downloads: list[Download], stem: tuple) -> None:
    """Download buttons (label, lazy bytes, what, extension, mime) in one wrapping row; files are
    named from stem + what, and rendered only when clicked."""
    warm_exporter()
    with st.container(horizontal=True):
        for label, make, what, ext, mime in downloads:
            st.download_button(
                label,
                data=make,
                file_name=export_name(*stem, what, ext=ext),
                mime=mime,
                key=f"dl-{label}",
            )


def show_error(error: ExplorerError) -> None:
    st.error(str(error), icon="⚠️")


def sidebar_settings() -> None:
    """Graph settings shared by every page."""
    with st.sidebar:
        st.caption(
            f"Corpus: **{st.session_state.corpus.name}** · {len(st.session_state.corpus)} docs"
        )
        st.caption(f"Model: **{current_spec().key}**")
        st.subheader("Graph")
        st.slider("k nearest neighbours", 2, 50, 10, key="k")
        st.radio(
            "Graph",
            ["knn", "mutual"],
            format_func={"knn": "kNN (either is a neighbour)", "mutual": "mutual kNN (both)"}.get,
            key="graph_kind",
        )
        st.slider(
            "Community resolution",
            0.2,
            3.0,
            1.0,
            0.1,
            key="resolution",
            help="Leiden modularity resolution: higher gives more, smaller communities.",
        )
        st.subheader("Ladder")
        st.text_input(
            "Dimension ladder",
            key="ladder_text",
            placeholder="default: full size, halving to 8",
            help="Sizes to compute, e.g. 256, 128, 64, 32, 16, 8. The full size is always kept; "
            "sizes above it are ignored.",
        )
