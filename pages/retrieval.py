"""Retrieval quality: the user's queries with known answers searched at every size × precision,
quality against bytes with the Pareto frontier, the smallest configuration within a chosen loss,
and agreement with the full size beside quality."""

import streamlit as st

from core.analysis.indexes import RESCORE_FACTOR
from core.analysis.measures import MEASURES
from core.analysis.retrieval import (
    BOOTSTRAP_ROUNDS,
    FEW_QUERIES,
    METRICS,
    TIMED_QUERIES,
    TIMED_REPEATS,
    metric_label,
    proxy_sentence,
    recommend,
    speed_table,
    storage_rows,
)
from core.io.export import export_name
from core.io.queries import QUERY_FILE_TYPES, labels_query_set, read_queries, read_query_vectors
from core.io.vectors import UPLOADED
from core.project import MEASURED_ON
from core.runtime.errors import ExplorerError
from core.runtime.limits import max_queries
from core.viz.retrieval_plots import proxy_figure, quality_figure
from pages import state, widgets

state.require_entrypoint()

FILE, LABELS = "A query file", "Labels as answers"

st.title("Retrieval quality")
pipe = state.pipeline(every_size=False)  # search needs the vectors, not every size's graph
corpus, choice = pipe.corpus, pipe.choice
measure = MEASURES[pipe.measure]
st.caption(
    f"{state.ordering_note(choice)} Your queries, searched exactly under "
    f"**{measure.label.lower()}** at every size and stored precision: how much real search "
    "quality each configuration keeps, and what it costs."
)

sources = [FILE, LABELS] if corpus.labels is not None else [FILE]
if st.session_state.get("retrieval_source") not in sources:
    st.session_state.retrieval_source = sources[0]
source = st.radio("Queries with known answers", sources, horizontal=True, key="retrieval_source")
query_set, vectors = state.current_query_set()
if source == FILE:
    upload = st.file_uploader(
        "Query file",
        type=[t.lstrip(".") for t in QUERY_FILE_TYPES],
        key="retrieval_file",
        help="CSV/TSV/JSONL with a 'query' column and a 'relevant' column of document ids "
        "separated by ';' (each optionally ID:GRADE for graded relevance), an optional 'id' "
        "column; or a .zip of a BEIR folder (queries.jsonl, qrels/test.tsv).",
    )
    if query_set is not None and query_set.from_labels:
        query_set, vectors = None, None
    fresh = st.session_state.get("retrieval_upload") != getattr(upload, "file_id", None)
    if upload is not None and (fresh or query_set is None):
        try:
            query_set, vectors = read_queries(upload.name, upload.getvalue(), corpus.ids), None
            state.set_query_set(query_set)
            st.session_state.retrieval_upload = upload.file_id
        except ExplorerError as error:
            widgets.show_error(error)
else:
    most = min(max_queries(), len(corpus))
    sample = st.slider(
        "Documents asked as queries", 1, most, min(1_000, most), key="retrieval_sample"
    )
    query_set, vectors = labels_query_set(corpus, sample), None
    state.set_query_set(query_set)
    widgets.show_note(
        "Each sampled document is a query and every other document with its label is a "
        "relevant answer: this measures how well each size keeps label neighbourhoods, not "
        "search quality on real questions."
    )

if query_set is None:
    st.info(
        "Upload a query file to measure search quality per size and precision"
        + (", or use the labels as answers." if corpus.labels is not None else ".")
    )
    st.stop()

if choice.spec.source == UPLOADED and not query_set.from_labels:
    asked = st.file_uploader(
        "The queries' vectors (one row per query, in the file's order)",
        type=["npy", "csv", "tsv", "parquet"],
        key="retrieval_vectors",
    )
    fresh = st.session_state.get("retrieval_vectors_upload") != getattr(asked, "file_id", None)
    if asked is not None and (fresh or vectors is None):
        try:
            dims = pipe.raw().shape[1]
            vectors = read_query_vectors(asked.name, asked.getvalue(), query_set, dims)
            state.set_query_set(query_set, vectors)
            pipe.adopt_query_vectors(query_set, vectors)
            st.session_state.retrieval_vectors_upload = asked.file_id
        except ExplorerError as error:
            widgets.show_error(error)
            st.stop()
    if vectors is None:
        st.info("Uploaded embeddings have no model to embed the queries with.")
        st.stop()

c1, c2, c3 = st.columns(3)
k = c1.slider("k for recall@k and hit@k", 1, 50, pipe.settings.k, key="retrieval_k")
names = {m: metric_label(m, k) for m in ("ndcg_at_10", "recall_at_k", "mrr_at_10", "hit_at_k")}
metric = c2.selectbox("Quality measure", list(names), format_func=names.get, key="retrieval_metric")
keep = c3.slider("Share of full-size quality to keep", 0.5, 1.0, 0.95, 0.01, key="retrieval_keep")

try:
    with st.spinner(
        f"Searching {len(query_set) or query_set.from_labels:,} queries at every size × precision…"
    ):
        table = pipe.retrieval(query_set, k)
except ExplorerError as error:
    widgets.show_error(error)
    st.stop()
queries = int(table["queries"].iloc[0])
pick = recommend(table, metric=metric, keep=keep, n_docs=len(corpus))
st.success(pick.sentence)
if queries < FEW_QUERIES:
    st.warning(
        f"Only {queries} queries: the intervals are wide and the recommendation may not hold "
        f"for other queries. Around {FEW_QUERIES} or more make it dependable."
    )
st.caption(
    f"{queries:,} queries from {widgets.plain(query_set.name)} · intervals: 95% bootstrap over "
    f"queries ({BOOTSTRAP_ROUNDS:,} resamples; the share kept is paired with the full size) · "
    f"binary+rescore searches sign bits by Hamming distance and rescores the best "
    f"{RESCORE_FACTOR * max(k, 10)} with the float32 vectors of the same size."
)
full = table.iloc[0]
st.plotly_chart(
    quality_figure(
        table,
        metric=metric,
        chosen=(pick.dim, pick.precision),
        threshold=keep * float(full[metric]),
        title=f"{names[metric]} against bytes per vector · {corpus.name}",
    ),
    key="retrieval_quality",
)

st.subheader(f"The choice: {pick.dim} dims {pick.precision}")
st.dataframe(storage_rows(pick.dim, pick.precision, len(corpus)), hide_index=True)
st.caption(
    "An exact (flat) index holds every vector in memory; binary+rescore holds the sign bits "
    "and reads the few candidates' float32 vectors from disk."
)

st.subheader("Agreement against quality")
st.write(proxy_sentence(table, metric))
st.plotly_chart(
    proxy_figure(table, metric=metric, title="Quality kept against agreement with the full size"),
    key="retrieval_proxy",
)
st.caption(
    f"Agreement@{k}: the share of the full size's top {k} (float32) that a configuration also "
    "returns for the same queries, as the Fidelity page measures for documents. Points above the "
    "diagonal keep more quality than agreement suggests; below it, less."
)

st.subheader("Search speed")
speeds = speed_table(table)
if speeds is None:
    st.info(
        "This project's table was measured before each precision was timed with its own "
        "kernel: its ms_per_query is float32 search time for every precision. Write the "
        "project again to time each precision."
    )
else:
    st.dataframe(speeds, hide_index=True)
    st.caption(
        f"Measured on {widgets.plain(table.attrs.get(MEASURED_ON, 'this machine'))}, each "
        "precision with its own exact kernel: float32 by BLAS products, int8 from its 1-byte "
        "codes, binary by Hamming distance over packed bits (popcount), binary+rescore as "
        "its two steps (Hamming candidates, then the float32 vectors of those rows). One query "
        f"at a time on one core ({TIMED_QUERIES} queries × {TIMED_REPEATS} runs: median and "
        "95th percentile); queries/s: all the queries above as one batch on every core. "
        "Index in memory: what the search holds; binary+rescore also needs the float32 "
        "vectors, in memory or on disk."
    )

shown = [
    "dim",
    "precision",
    *[c for m in (*METRICS, "agreement_at_k") for c in (m, f"{m}_low", f"{m}_high")],
]
timings = ["ms_per_query", "ms_per_query_p95", "queries_per_second", "index_bytes"]
shown += [c for c in ("bytes_per_vector", *timings, "queries") if c in table.columns]
st.dataframe(table[shown].round(4), hide_index=True)

st.download_button(
    "Retrieval table CSV",
    data=lambda: table.to_csv(index=False).encode(),
    file_name=export_name(corpus.name, choice.spec.key, choice.ordering, "retrieval", ext="csv"),
    mime="text/csv",
)
