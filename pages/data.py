"""Corpus & model: start from the demo or upload documents, pick the model and ordering."""

import streamlit as st

from core.analysis.knn import EXACT_KNN_LIMIT
from core.embed.models import (
    HUB_PRESETS,
    MINILM,
    WORDLLAMA,
    custom_models_allowed,
    resolve_model,
)
from core.io.corpus import (
    SUPPORTED_EXTENSIONS,
    corpus_name,
    label_columns,
    load_demo_corpus,
    replaced_note,
    text_columns,
)
from core.io.export import export_name
from core.io.intake import default_id_column, long_note, take_in
from core.io.passages import split_passages
from core.io.vectors import upload_vectors
from core.project import list_projects, project_zip, read_project
from core.runtime.errors import ExplorerError
from core.runtime.limits import DEFAULT_LIMITS, projects_folder
from core.schedule.background import completed
from pages import state, widgets
from pages.resources import warm_nn_descent

state.require_entrypoint()

NONE = "(none)"
WHOLE, PARAGRAPHS, WINDOWS = "one per row or file", "one per paragraph", "passages of N words"
OTHER = "other"


def use_documents(table, text_column, label_column, id_column, name) -> None:
    """The "Use these documents" click, as the button's callback: Streamlit calls it before
    the next run of whichever page, so the click counts even when another page is asked for
    before this one reruns. Read in this page's run instead, the click would be lost whenever
    that request stops the run before it reaches the button (a click on a busy server, then at
    once a click on Explore). A refusal is shown by the page's next run."""
    try:
        intake = take_in(table, text_column, label_column, id_column=id_column, name=name)
        state.set_corpus(intake.corpus)  # its notes are the captions the page shows above
    except ExplorerError as error:
        st.session_state.documents_refused = error


st.title("Corpus & model")
current = st.session_state.corpus
st.write(f"Current corpus: **{widgets.plain(current.name)}** · {len(current):,} documents")

st.subheader("Documents")
if st.button("Use the built-in demo corpus", help="360 short documents: 4 themes × 3 topics"):
    state.set_corpus(load_demo_corpus())
    st.rerun()

uploads = st.file_uploader(
    "Or upload documents (several files or a .zip at once)",
    type=[ext.lstrip(".") for ext in SUPPORTED_EXTENSIONS],
    accept_multiple_files=True,
    help=".txt: one document per line (one per file when several are uploaded) · .md: one per "
    "file · .csv/.tsv: pick the text column · .jsonl/.json: records or strings · .pdf (text "
    "layer), .docx, .html/.htm (visible text): one per file · .zip of these",
)
if uploads:
    try:
        table = state.read_uploads(uploads)
        if len(table) > EXACT_KNN_LIMIT:  # its kNN needs NN-descent: compile it meanwhile
            warm_nn_descent()
        if note := replaced_note(table):
            widgets.show_note(note)
        texts = text_columns(table)
        if not texts:
            raise ExplorerError("No column in these files holds text. Check the files' format.")
        text_column = st.selectbox("Text column", texts)
        split = st.radio(
            "Documents",
            [WHOLE, PARAGRAPHS, WINDOWS],
            horizontal=True,
            help="Split long documents into passages; each passage keeps the name of its "
            "document in a 'document' column, which can serve as the label.",
        )
        if split != WHOLE:
            budget = (
                st.number_input("Words per passage (at most)", 20, 2_000, 200, step=20)
                if split == WINDOWS
                else None
            )
            table = split_passages(table, text_column, words=budget, limits=DEFAULT_LIMITS)
            st.caption(f"{len(table):,} passages.")
        if note := long_note(table, text_column):
            st.caption(f"{note} Split them into passages to keep all their text.")
        label_column = st.selectbox("Label column (optional)", [NONE, *label_columns(table)])
        ids = [NONE, *[c for c in table.columns if c != text_column]]
        found_ids = default_id_column(table)
        id_column = st.selectbox(
            "Id column (optional)",
            ids,
            index=ids.index(found_ids) if found_ids in ids else 0,
            help="Document ids that query files on the Retrieval quality page name as answers "
            "(default: a column named 'id' whose values differ on every row; else each "
            "document's place in its file).",
        )
        st.dataframe(table.head(20), hide_index=True)
        st.button(
            "Use these documents",
            type="primary",
            on_click=use_documents,
            args=(
                table,
                text_column,
                None if label_column == NONE else label_column,
                None if id_column == NONE else id_column,
                corpus_name([f.name for f in uploads]),
            ),
        )
        if refused := st.session_state.pop("documents_refused", None):
            raise refused
    except ExplorerError as error:
        widgets.show_error(error)
        st.caption(f"Still using **{widgets.plain(current.name)}** ({len(current):,} documents).")

st.subheader("Model")
uploaded = state.uploaded_vectors()
presets = [WORDLLAMA, MINILM, *HUB_PRESETS]
own = [uploaded.spec] if uploaded and uploaded.spec.key not in {s.key for s in presets} else []
specs = [*presets, *own]
allow_custom = custom_models_allowed()
options = [s.key for s in specs] + ([OTHER] if allow_custom else [])
labels = {s.key: s.label for s in specs} | {OTHER: "Other hub id or local folder…"}
chosen = st.session_state.model_key
choice = st.selectbox(
    "Embedding model",
    options,
    index=options.index(chosen)
    if chosen in options
    else options.index(OTHER)
    if allow_custom
    else 0,
    format_func=labels.get,
)
if choice == OTHER:
    typed = st.text_input("Model id or local path", value="" if chosen in options else chosen)
    if typed.strip():
        try:
            st.session_state.model_key = resolve_model(typed, allow_custom=allow_custom).key
        except ExplorerError as error:
            widgets.show_error(error)
elif choice != chosen:
    st.session_state.model_key = choice
    st.rerun()

with st.expander("Or bring your own embeddings"):
    st.caption(
        "Vectors computed elsewhere (e.g. OpenAI text-embedding-3-large, 3072-d Matryoshka), one "
        "row per document of the current corpus, in the same order: .npy, .csv/.tsv of numbers, "
        ".parquet (numeric columns or one column of lists). Columns of ids or row numbers are "
        "left out."
    )
    vector_file = st.file_uploader("Embeddings file", type=["npy", "csv", "tsv", "parquet"])
    named = state.vector_choices(vector_file) if vector_file is not None else []
    columns = (
        st.multiselect(
            "Vector columns (optional)",
            named,
            key=f"vector-columns-{vector_file.file_id}",
            help="By default every numeric column except those that look like ids or row "
            "numbers: whole numbers named like an id, different on every row, or far larger "
            "than the other columns.",
        )
        if named
        else []
    )
    matryoshka = st.checkbox("These vectors are Matryoshka-trained (prefixes are meaningful)")
    if vector_file is not None and st.button("Use these embeddings"):
        try:
            state.set_uploaded(
                upload_vectors(
                    vector_file.name,
                    vector_file.getvalue(),
                    current,
                    matryoshka=matryoshka,
                    columns=columns,
                )
            )
            st.rerun()
        except ExplorerError as error:
            widgets.show_error(error)

st.radio(
    "Dimension ordering",
    ["auto", "native", "pca"],
    key="ordering_mode",
    format_func={
        "auto": "Auto: native for Matryoshka models, PCA for others",
        "native": "Native (plain truncation)",
        "pca": "PCA-rotated (variance first, fitted on this corpus)",
    }.get,
)
try:
    st.caption(state.ordering_note(state.current_choice()))
except ExplorerError as error:
    widgets.show_error(error)
    st.stop()
spec = state.current_spec()
if not spec.offline:
    st.info(
        f"{widgets.plain(spec.key)} is downloaded from the model hub on first use, which needs "
        "a network. "
        f"Offline: {WORDLLAMA.key} or {MINILM.key}."
    )

st.subheader("Project file")
st.caption(
    "A project holds the documents, the embedding and every size's neighbours, graph, "
    "communities, map, fidelity and lineage (Parquet tables and a JSON manifest). Opening one "
    "shows it at once, with nothing recomputed; `python -m core CORPUS --project out/NAME` "
    "writes one from the command line."
)
opened = st.file_uploader("Open a project (.zip of its folder)", type=["zip"], key="project_zip")
folder = projects_folder()
found = list_projects(folder) if folder else []
picked = (
    st.selectbox("Or one from the server's projects folder", found, format_func=lambda p: p.name)
    if found
    else None
)
if (opened or picked) and st.button("Open this project"):
    try:
        source = picked if opened is None else opened.getvalue()
        with st.spinner("Reading the project…"):
            project = read_project(source, name=opened.name if opened else picked.name)
        clamped = state.open_project(project)
        st.session_state.notice = (
            f"Opened the project {project.corpus.name} ({len(project.corpus):,} documents, "
            f"{project.spec.key}, {len(project.dims)} sizes)." + (f" {clamped}" if clamped else "")
        )
        st.rerun()
    except ExplorerError as error:
        widgets.show_error(error)
        st.caption(f"Still using **{widgets.plain(current.name)}** ({len(current):,} documents).")
st.download_button(
    "Save this session as a project (.zip)",
    data=lambda: project_zip(completed(state.session_pipeline()), current.name),
    file_name=export_name(current.name, "project", ext="zip"),
    mime="application/zip",
    help="Computes whatever is still missing (every size's graph and map) first.",
)
