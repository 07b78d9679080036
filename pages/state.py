"""One session's choices (corpus, model, ordering, uploaded vectors, ladder, graph settings) and
the Pipeline they open."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from core.analysis.ladder import K_RANGE, RESOLUTION_RANGE, GraphSettings, parse_dims
from core.embed.models import PRESETS, WORDLLAMA, ModelSpec, custom_models_allowed, resolve_model
from core.io.corpus import Corpus, load_demo_corpus, read_files
from core.io.queries import QuerySet
from core.io.vectors import UPLOADED, UploadedVectors, vector_columns
from core.pipeline import Choice, Pipeline, default_ordering
from core.project import Project
from core.runtime.errors import ExplorerError
from core.schedule.background import precompute
from core.viz.layout import needs_sketch
from pages.resources import make_map, results
from pages.widgets import ProgressBar, notice, plain, show_error

# corpora up to this size get every size's graph before the page shows (a few seconds at most)
SYNC_VIEWS_UP_TO = 20_000


def require_entrypoint() -> None:
    """Every page starts here. A page opened by URL before app.py ever ran in this server is run
    alone (Streamlit's legacy pages/ mode, which app.py's st.navigation switches off): hand over
    to app.py. Then show the note the previous run left, if any."""
    if "corpus" not in st.session_state:
        st.switch_page("app.py")
    apply_pending_settings()  # app.py applied them already, unless a page rerun alone (AppTest)
    notice()


def init_state() -> None:
    """Defaults for a new session: the demo corpus with the offline Matryoshka model. Settings
    an opened project left pending are applied here, before any widget that shows them."""
    if "corpus" not in st.session_state:
        st.session_state.corpus = load_demo_corpus()
    st.session_state.setdefault("model_key", WORDLLAMA.key)
    st.session_state.setdefault("ordering_mode", "auto")
    # Widget defaults live here, not in the widgets: an opened project sets them through the
    # session state, which Streamlit warns about when the widget has a default of its own.
    st.session_state.setdefault("k", 10)
    st.session_state.setdefault("resolution", 1.0)
    apply_pending_settings()


def apply_pending_settings() -> None:
    """Settings an opened project left for the next run, set before any widget shows them."""
    for key, value in st.session_state.pop("pending_settings", {}).items():
        st.session_state[key] = value


def open_project(project: Project) -> str | None:
    """Switch to a project: its corpus, embedding, ordering, ladder and graph settings, with its
    results put into the shared store so the pages show it with nothing recomputed. The
    settings apply from the next run (call st.rerun). Returns a note when a setting lies
    outside the sliders' range and was clamped."""
    project.pipeline(results())
    st.session_state.corpus = project.corpus
    set_uploaded(project.vectors)
    # the project's query vectors go with its corpus vectors, whatever model made them
    set_query_set(project.query_set, project.query_vectors)
    s = project.settings
    k, resolution = _clamped(s.k, K_RANGE), _clamped(s.resolution, RESOLUTION_RANGE)
    note = None
    if (k, resolution) != (s.k, s.resolution):
        note = (
            f"The project was made with k = {s.k} and resolution {s.resolution}; the sliders "
            f"allow {K_RANGE[0]}–{K_RANGE[1]} and {RESOLUTION_RANGE[0]}–{RESOLUTION_RANGE[1]}, "
            f"so k = {k} and resolution {resolution} are shown, computed anew."
        )
    st.session_state.pending_settings = {
        "ordering_mode": project.ordering,
        "ladder_text": ", ".join(str(d) for d in project.dims),
        "k": k,
        "graph_kind": s.kind,
        "resolution": resolution,
        "measure": s.measure,
        "graph_seed": s.seed,
    }
    return note


def _clamped(value, bounds):
    return min(max(value, bounds[0]), bounds[1])


def set_corpus(corpus: Corpus) -> None:
    """Switch to another corpus; vectors uploaded for the previous one are dropped, with a note."""
    st.session_state.corpus = corpus
    _drop_stale_vectors()


def read_uploads(uploads: Sequence[UploadedFile]) -> pd.DataFrame:
    """The uploaded files parsed into one table, once per set of uploads: every widget click
    reruns the page, and re-parsing up to 200 MB each time would make the page crawl. A refusal
    is remembered too, and raised again."""
    key = tuple((f.file_id, f.name, f.size) for f in uploads)
    cached = st.session_state.get("parsed_upload")
    if cached is None or cached[0] != key:
        try:
            parsed: pd.DataFrame | ExplorerError = read_files(
                [(f.name, f.getvalue()) for f in uploads]
            )
        except ExplorerError as error:
            parsed = error
        cached = st.session_state.parsed_upload = (key, parsed)
    if isinstance(cached[1], ExplorerError):
        raise cached[1]
    return cached[1]


def vector_choices(upload: UploadedFile) -> list[str]:
    """The columns an embeddings file offers to name as its vectors, read once per file (as
    read_uploads, so that a click does not copy a large file again)."""
    key = (upload.file_id, upload.name, upload.size)
    cached = st.session_state.get("vector_choices")
    if cached is None or cached[0] != key:
        columns = vector_columns(upload.name, upload.getvalue())
        cached = st.session_state.vector_choices = (key, columns)
    return cached[1]


def set_uploaded(uploaded: UploadedVectors) -> None:
    """Use uploaded vectors (bound to the current corpus) as the model; what the file held
    besides them is noted on the next run."""
    st.session_state.uploaded = uploaded
    st.session_state.model_key = uploaded.spec.key
    if uploaded.note:
        st.session_state.notice = uploaded.note


def uploaded_vectors() -> UploadedVectors | None:
    return st.session_state.get("uploaded")


def _drop_stale_vectors() -> None:
    """Forget vectors bound to other documents. An opened project's vectors of a model this app
    can run go silently (the model embeds the new documents); uploaded ones switch the model to
    the default, with a note."""
    uploaded = uploaded_vectors()
    if uploaded is None or uploaded.matches(st.session_state.corpus):
        return
    del st.session_state["uploaded"]
    if uploaded.spec.source == UPLOADED and st.session_state.get("model_key") == uploaded.spec.key:
        st.session_state.model_key = WORDLLAMA.key
        st.session_state.notice = (
            f"The uploaded embeddings ({uploaded.spec.label}) belonged to the previous corpus, so "
            f"they were dropped; this corpus is embedded with {WORDLLAMA.key}. Upload vectors for "
            "this corpus to use your own again."
        )


def current_spec() -> ModelSpec:
    """The chosen model: a preset, the uploaded vectors, or (where the server allows it) any
    other model id or folder."""
    _drop_stale_vectors()
    key = st.session_state.model_key
    uploaded = uploaded_vectors()
    if uploaded is not None and key == uploaded.spec.key:
        return uploaded.spec
    return PRESETS.get(key) or resolve_model(key, allow_custom=custom_models_allowed())


def current_choice() -> Choice:
    spec = current_spec()
    mode = st.session_state.ordering_mode
    ordering = default_ordering(spec) if mode == "auto" else mode
    return Choice(st.session_state.corpus, spec, ordering)


def ordering_note(choice: Choice) -> str:
    """One sentence on how dimensions are ordered, so the picture is honest about it."""
    name = plain(choice.spec.key)
    if choice.ordering == "pca":
        why = (
            "it is not Matryoshka-trained, so plain truncation would scramble it"
            if not choice.spec.is_matryoshka
            else "you chose PCA ordering"
        )
        return (
            f"Dimensions are ordered by PCA fitted on this corpus for **{name}** "
            f"({why}); the first d principal axes keep the most of all pairwise similarities."
        )
    return f"Dimensions are in **{name}**'s native order" + (
        " (Matryoshka-trained: prefixes are usable embeddings)."
        if choice.spec.is_matryoshka
        else "; this model is not Matryoshka-trained, so prefixes may lose structure."
    )


def typed_ladder() -> tuple[int, ...]:
    """The user's edited ladder, or () for the model's default; a typo is reported in the
    sidebar and the default ladder is used meanwhile."""
    try:
        return tuple(parse_dims(st.session_state.get("ladder_text", "")))
    except ExplorerError as error:
        with st.sidebar:
            show_error(error)
        return ()


def graph_settings() -> GraphSettings:
    s = st.session_state
    return GraphSettings(
        k=int(s.get("k", 10)),
        kind=s.get("graph_kind", "knn"),
        resolution=float(s.get("resolution", 1.0)),
        seed=int(s.get("graph_seed", GraphSettings.seed)),
        measure=s.get("measure", "cosine"),
    )


def set_query_set(query_set: QuerySet | None, vectors: np.ndarray | None = None) -> None:
    """Use a query set for the current corpus, with the queries' own vectors when the corpus's
    vectors were uploaded or came with a project (they go with those vectors alone); None
    forgets it."""
    fingerprint = st.session_state.corpus.documents_fingerprint
    uploaded = uploaded_vectors()
    owner = uploaded.spec.key if vectors is not None and uploaded is not None else None
    chosen = (fingerprint, query_set, vectors if owner else None, owner)
    st.session_state.query_set = None if query_set is None else chosen


def current_query_set() -> tuple[QuerySet | None, np.ndarray | None]:
    """The session's query set, if it was chosen for this corpus, and its queries' vectors, if
    they were given for the corpus vectors in use."""
    chosen = st.session_state.get("query_set")
    if chosen is None or chosen[0] != st.session_state.corpus.documents_fingerprint:
        return None, None
    uploaded = uploaded_vectors()
    in_use = uploaded is not None and uploaded.spec == current_spec()
    return chosen[1], chosen[2] if in_use and chosen[3] == uploaded.spec.key else None


def session_pipeline() -> Pipeline:
    """The session's Pipeline, nothing computed yet."""
    query_set, vectors = current_query_set()
    pipe = Pipeline(
        current_choice(),
        settings=graph_settings(),
        ladder=typed_ladder(),
        store=results(),
        uploaded=uploaded_vectors(),
        mapper=make_map,
        query_set=query_set,
    )
    if vectors is not None:
        pipe.adopt_query_vectors(query_set, vectors)
    return pipe


def pipeline(*, every_size: bool = True, sketch_first: bool = False) -> Pipeline:
    """The session's Pipeline with embeddings ready and the per-size views: every size's (a
    progress bar while they are computed), or with every_size=False on a large corpus only the
    full size's, the rest being left to the background precompute; with sketch_first, a corpus
    large enough for a sketch of its map (core.viz.layout.needs_sketch) leaves even the full
    size's view to the background, so the page can show the sketch while it is computed. A
    choice that cannot be used stops the page with a clear message."""
    try:
        pipe = session_pipeline()
        with ProgressBar() as bar:
            pipe.ordered(bar)
        if not every_size:
            # the background threads make the full size's view and, beside it, the full-size
            # map, which so starts as soon as that size's neighbour lists are found, while this
            # page computes the other sizes' views
            precompute(pipe, focus=st.session_state.get("dim", pipe.full))
        with ProgressBar() as bar:
            if every_size or len(pipe.corpus) <= SYNC_VIEWS_UP_TO:
                pipe.views(bar)
            elif sketch_first and needs_sketch(len(pipe.corpus)):
                pass  # the page shows how far the background has got, and the sketch
            else:
                bar(0.0, f"Graph and communities at the full size ({pipe.full} dims)…")
                pipe.view(pipe.full)
    except ExplorerError as error:
        show_error(error)
        st.stop()
    return pipe
