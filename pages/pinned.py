"""Pinned documents: follow chosen documents across the ladder."""

import streamlit as st

from core.analysis.neighbourhood import neighbour_changes, neighbour_table
from pages import state, widgets
from pages.picking import map_selection

state.require_entrypoint()

ALL_OPTIONS_UP_TO = 2_000
SEARCH_OPTIONS = 200

st.title("Pinned documents")
pipe = state.pipeline()
corpus, views, dims = pipe.corpus, pipe.views(), pipe.dims
st.caption("Pick documents and see which of their neighbours each size keeps, loses and gains.")

# Pins are document ids, not row numbers: after a corpus change they never point at other
# documents, and ids the new corpus lacks are dropped.
row_of = {doc_id: row for row, doc_id in enumerate(corpus.ids)}
st.session_state.setdefault("pins", [corpus.ids[0]])
st.session_state.pins = [p for p in st.session_state.pins if p in row_of]
# Every document as an option would send the whole corpus to the browser on each rerun; large
# corpora offer the pins plus the documents matching a search.
if len(corpus) > ALL_OPTIONS_UP_TO:
    query = st.text_input(
        "Find documents to pin (id or text contains…)",
        help=f"The list below offers up to {SEARCH_OPTIONS} matches; points can also be picked "
        "on the map.",
    )
    matches = [corpus.ids[row] for row in widgets.found_documents(corpus, query, SEARCH_OPTIONS)]
    options = list(dict.fromkeys([*st.session_state.pins, *matches]))
else:
    options = corpus.ids
pinned_ids = st.multiselect(
    "Documents to follow",
    options=options,
    format_func=lambda doc_id: f"{doc_id} · {corpus.texts[row_of[doc_id]][:80]}",
    key="pins",
)
if not pinned_ids:
    st.info("Pick at least one document.")
    st.stop()
pins = [row_of[doc_id] for doc_id in pinned_ids]

dim = st.select_slider("Embedding dimension to inspect", options=sorted(dims), value=min(dims))
view = views[dim]
on_map = map_selection(pipe, dim, pins, title=f"Pinned documents at {dim} dims", key="pinned_map")
picked = [corpus.ids[row] for row in on_map if row not in pins]
if picked:
    st.button(
        f"Pin the {len(picked)} selected documents",
        on_click=lambda: st.session_state.update(pins=[*pinned_ids, *picked]),
    )
else:
    st.caption("Click, box- or lasso-select points on the map to pin more documents.")

DETAILED = 12
if len(pins) > DETAILED:
    st.caption(f"Details for the first {DETAILED} of {len(pins)} pinned documents.")
for row in pins[:DETAILED]:
    st.subheader(widgets.plain(corpus.ids[row]))
    st.text(corpus.texts[row][:400])
    st.caption(
        f"Neighbours across the ladder (k = {pipe.settings.k}), compared with {pipe.full} dims"
    )
    st.dataframe(neighbour_changes(views, row, corpus.ids), hide_index=True)
    st.caption(f"Its neighbours at {dim} dims")
    st.dataframe(
        neighbour_table(view, row, corpus.ids, corpus.texts, views[pipe.full], pipe.measure),
        hide_index=True,
    )
