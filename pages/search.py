"""Search: one query's top k at a chosen size next to the full size's, and the measured
recall-vs-size and time-vs-size curve of a set of queries."""

import streamlit as st

from core.analysis.knn import knn_recall
from core.analysis.measures import MEASURES
from core.analysis.search import (
    query_set_table,
    rank_changes,
    results_table,
    search_at,
)
from core.embed.models import embed_typed
from core.io.vectors import UPLOADED
from core.runtime.errors import ExplorerError
from core.runtime.limits import max_queries
from core.viz.search_plots import highlight_overlap, query_set_figure
from pages import state, widgets

state.require_entrypoint()

DOCUMENT_OPTIONS = 200
TYPED, DOCUMENT = "Typed text", "A document"

st.title("Search")
pipe = state.pipeline(every_size=False)  # search needs the vectors, not every size's graph
corpus, dims, full, k = pipe.corpus, pipe.dims, pipe.full, pipe.settings.k
measure = MEASURES[pipe.measure]
st.caption(
    f"{state.ordering_note(pipe.choice)} Exact search under **{measure.label.lower()}** (set in "
    f"the sidebar, with k = {k}): {measure.meaning}"
)

if st.session_state.get("search_dim") not in dims:
    st.session_state.search_dim = dims[len(dims) // 2]
dim = st.select_slider(
    "Size to search at (the first d dimensions)", options=sorted(dims), key="search_dim"
)

# uploaded vectors have no model to embed typed text with: a document is the query then
modes = [TYPED, DOCUMENT] if pipe.choice.spec.source != UPLOADED else [DOCUMENT]
if st.session_state.get("search_mode") not in modes:
    st.session_state.search_mode = modes[0]
mode = st.radio("Query", modes, horizontal=True, key="search_mode")
query, exclude = None, None
if mode == TYPED:
    text = st.text_input("Query text", key="search_text", placeholder="e.g. a goal in extra time")
    if text.strip():
        try:
            query = pipe.ordered().transform(embed_typed([text], pipe.choice.spec))[0]
        except ExplorerError as error:
            widgets.show_error(error)
else:
    needle = st.text_input("Find a document (id or text contains…)", key="search_find")
    found = widgets.found_documents(corpus, needle, DOCUMENT_OPTIONS)
    exclude = st.selectbox(
        "Document as the query",
        found,
        format_func=lambda row: f"{corpus.ids[row]} · {corpus.texts[row][:80]}",
        help=f"Up to {DOCUMENT_OPTIONS} matches are offered; the document is left out of its "
        "own results.",
    )
    if exclude is not None:
        query = pipe.vectors[exclude]

if query is None:
    st.info("Type a query (or pick a document) to see its results at both sizes.")
else:
    small = search_at(pipe.vectors, query, dim, k, pipe.measure, exclude=exclude)
    large = search_at(pipe.vectors, query, full, k, pipe.measure, exclude=exclude)
    k_used = len(large.hits.rows)  # k is capped at n - 1 for tiny corpora
    cols = st.columns(3)
    cols[0].metric(
        f"Recall@{k_used} at {dim} dims", f"{knn_recall(large.hits.rows, small.hits.rows):.1%}"
    )
    cols[1].metric(f"Query time at {dim} dims", f"{small.ms:.3f} ms")
    cols[2].metric(f"Query time at full size ({full} dims)", f"{large.ms:.3f} ms")
    if pipe.ranks_alike(dim):
        st.caption(
            f"At {dim} dims every document's prefix has the same length, so cosine, dot product "
            "and euclidean distance rank the same here."
        )
    changes = rank_changes(small.hits.rows, large.hits.rows)
    for column, timed, heading in zip(
        st.columns(2), (small, large), (f"At {dim} dims", f"At full size, {full} dims"), strict=True
    ):
        column.subheader(heading)
        column.dataframe(
            highlight_overlap(
                results_table(timed.hits, changes, corpus.ids, corpus.texts, pipe.measure)
            ),
            hide_index=True,
        )
    st.caption(
        f"Shaded: in both lists. Move: how a document's rank changed at {dim} dims (↑ higher, "
        f"↓ lower; new: not in the full-size top {k_used}; dropped: not in the top {k_used} at "
        f"{dim} dims). "
        "Query times: median of 5 runs of one exact search on this machine."
    )

st.subheader("Query set: recall and time against size")
st.caption(
    "Random documents of the corpus as queries (each left out of its own results), searched at "
    "every size of the ladder: the trade-off curve measured, not assumed."
)
c1, c2 = st.columns(2)
most = min(len(corpus), max_queries())
queries = c1.slider("Queries (random documents)", 1, most, min(200, most), key="search_set_n")
approximate = c2.toggle(
    "Also measure an approximate index (faiss HNSW)",
    key="search_hnsw",
    help="One HNSW index per size (M = 32, efSearch = 64), built on one thread: seconds per "
    "size at tens of thousands of documents.",
)
if st.toggle("Measure the query set", key="search_set"):
    with st.spinner(f"Searching {queries:,} queries at {len(dims)} sizes…"):
        table = pipe.store.memo(
            pipe.keys.query_set(k, queries, approximate),
            lambda: query_set_table(
                pipe.vectors, dims, k, pipe.measure, queries=queries, approximate=approximate
            ),
        )
    st.plotly_chart(
        query_set_figure(table, title=f"{queries:,} queries · {corpus.name}"), key="query_set"
    )
    st.caption(
        f"Measured on this machine: mean recall@{k} against the exact full-size top {k}, and "
        "the median time of one query against the whole corpus (each query timed once)."
    )
    st.dataframe(table, hide_index=True)
