"""Two documents: their similarity under each measure at every size, and where each stands in
the other's neighbour list."""

import streamlit as st

from core.analysis.measures import MEASURES
from core.analysis.pairs import alike_note, compare_pair, compare_typed, pair_table
from core.embed.models import embed_typed
from core.io.vectors import UPLOADED
from core.runtime.errors import ExplorerError
from core.viz.pair_plots import pair_rank_figure, pair_value_figure
from pages import state, widgets
from pages.picking import map_selection

state.require_entrypoint()

DOCUMENT_OPTIONS = 2_000
DOCUMENTS, TYPED = "Two documents of the corpus", "Two typed texts"

st.title("Two documents")
pipe = state.pipeline(every_size=False)  # the full size's map and the vectors are enough
corpus, dims, full = pipe.corpus, pipe.dims, pipe.full
st.caption(
    f"{state.ordering_note(pipe.choice)} Pick two documents, or type two texts: their "
    "similarity under every measure at every size, and where each one stands in the other's "
    "neighbour list."
)

# uploaded vectors have no model to embed typed text with
modes = [DOCUMENTS, TYPED] if pipe.choice.spec.source != UPLOADED else [DOCUMENTS]
if st.session_state.get("pair_mode") not in modes:
    st.session_state.pair_mode = modes[0]
mode = st.radio("Compare", modes, horizontal=True, key="pair_mode")
if len(modes) == 1:
    st.caption(
        "These embeddings were uploaded, so there is no model to embed typed text with: pick "
        "two documents of the corpus."
    )

if mode == DOCUMENTS:
    # picks are document ids, so a corpus change never leaves them pointing at other documents
    row_of = {doc_id: row for row, doc_id in enumerate(corpus.ids)}
    st.session_state.setdefault("pair_ids", list(corpus.ids[:2]))
    st.session_state.pair_ids = [p for p in st.session_state.pair_ids if p in row_of]
    needle = st.text_input(
        "Find documents (id or text contains…)",
        key="pair_find",
        help=f"The list below offers up to {DOCUMENT_OPTIONS:,} matches; points can also be "
        "picked on the map.",
    )
    found = widgets.found_documents(corpus, needle, DOCUMENT_OPTIONS)
    picked_ids = st.multiselect(
        "Two documents (A, then B)",
        options=list(dict.fromkeys([*st.session_state.pair_ids, *(corpus.ids[r] for r in found)])),
        max_selections=2,
        format_func=lambda doc_id: f"{doc_id} · {corpus.texts[row_of[doc_id]][:80]}",
        key="pair_ids",
    )
    rows = [row_of[doc_id] for doc_id in picked_ids]

    on_map = map_selection(
        pipe, full, rows, title=f"Documents at {full} dims", key="pair_map", height=500
    )
    selected = [corpus.ids[row] for row in on_map[:2]]
    if len(selected) == 2:
        st.button(
            "Compare the first two selected documents",
            on_click=lambda: st.session_state.update(pair_ids=selected),
        )
    else:
        st.caption("Box- or lasso-select points on the map: the first two become A and B.")
    if len(rows) < 2:
        st.info("Pick two documents.")
        st.stop()
    a, b = rows
    names = (corpus.ids[a], corpus.ids[b])
    for column, name, row in zip(st.columns(2), "AB", rows, strict=True):
        column.markdown(f"**{name}: {widgets.plain(corpus.ids[row])}**")
        column.text(corpus.texts[row][:400])
    pairs = pipe.store.memo(
        pipe.keys.pair(a, b),
        lambda: compare_pair(pipe.vectors, dims, a, b),
    )
else:
    left, right = st.columns(2)
    text_a = left.text_area("Text A", key="pair_text_a", placeholder="e.g. a goal in extra time")
    text_b = right.text_area("Text B", key="pair_text_b", placeholder="e.g. a comet at dawn")
    if not (text_a.strip() and text_b.strip()):
        st.info("Type two texts.")
        st.stop()
    names = ("text A", "text B")
    try:
        pairs = pipe.store.memo(
            pipe.keys.typed_pair(text_a, text_b),
            lambda: compare_typed(
                pipe.vectors,
                dims,
                pipe.ordered().transform(embed_typed([text_a, text_b], pipe.choice.spec)),
            ),
        )
    except ExplorerError as error:
        widgets.show_error(error)
        st.stop()

st.plotly_chart(
    pair_value_figure(pairs, title="Their similarity (and distance) at every size"),
    key="pair_values",
)
st.plotly_chart(
    pair_rank_figure(pairs, names, title="Where each stands in the other's neighbour list"),
    key="pair_ranks",
)
among = (
    f"the {len(corpus) - 1:,} other documents"
    if mode == DOCUMENTS
    else f"the {len(corpus):,} documents, as if both texts were added to the corpus"
)
st.caption(
    f"Rank 1 = nearest among {among}; a tie counts in the pair's favour (1 + the number "
    "strictly closer)."
)
st.info(alike_note(pairs))
st.dataframe(pair_table(pairs), hide_index=True)
for key, measure in MEASURES.items():
    graphs = " (the sidebar's measure, used by the graphs)" if key == pipe.measure else ""
    st.markdown(f"**{measure.label}**{graphs}: {measure.meaning} {measure.truncation}")
