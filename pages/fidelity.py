"""Fidelity & size: what each truncation keeps, what it costs, and which size to pick."""

import streamlit as st

from core.analysis.fidelity import (
    compare_orderings,
    recommend_dimension,
    storage_table,
)
from core.analysis.measures import MEASURES
from core.io.export import export_name
from core.project import MEASURED_ON
from core.runtime.units import size_text
from core.viz.fidelity_plots import (
    fidelity_curves,
    latency_figure,
    precision_recall_figure,
    storage_figure,
)
from pages import state, widgets

state.require_entrypoint()

st.title("Fidelity & size")
pipe = state.pipeline()
corpus, choice, dims = pipe.corpus, pipe.choice, pipe.dims
measure = MEASURES[pipe.measure]
st.caption(
    f"{state.ordering_note(choice)} Every figure here is under **{measure.label.lower()}** (set "
    "in the sidebar)."
)

c1, c2 = st.columns(2)
k = c1.slider("k for recall@k", 1, 50, pipe.settings.k, key="fidelity_k")
share = c2.slider("Share of full-size recall to keep", 0.5, 1.0, 0.9, 0.01, key="fidelity_share")

with st.spinner("Measuring recall, rank correlation and search time per size…"):
    table = pipe.fidelity(k)
recommendation = recommend_dimension(table, min_recall_share=share)
st.success(recommendation.sentence)
st.caption(
    "Recall against the full size is agreement, not search quality: a size can return other "
    "neighbours and still find the right answers. The Retrieval quality page measures quality "
    "on your own queries, per size and precision."
)

st.plotly_chart(
    fidelity_curves(table, threshold=share, title="Fidelity against the full size"), key="curves"
)
st.caption(
    f"recall@{k}: share of each document's full-size {k} nearest neighbours kept · Spearman: rank "
    f"correlation of pairwise {measure.value_name}s with full size (sampled pairs) · ARI: "
    "agreement of communities with the full-size communities."
)
st.dataframe(table, hide_index=True)
st.download_button(
    "Fidelity table CSV",
    data=lambda: table.to_csv(index=False).encode(),
    file_name=export_name(corpus.name, choice.spec.key, choice.ordering, "fidelity", ext="csv"),
    mime="text/csv",
)

st.subheader("Storage")
storage = storage_table(dims, len(corpus))
readable = storage.assign(
    **{
        c: storage[c].map(size_text)
        for c in ("bytes_per_vector", "bytes_corpus", "bytes_1m", "bytes_100m")
    }
).rename(
    columns={
        "bytes_per_vector": "per vector",
        "bytes_corpus": f"this corpus ({len(corpus):,} docs)",
        "bytes_1m": "1M docs",
        "bytes_100m": "100M docs",
    }
)
left, right = st.columns([2, 3])
left.dataframe(readable, hide_index=True, height=400)
right.plotly_chart(storage_figure(table, title="Bytes per vector by precision"), key="storage")
st.plotly_chart(
    precision_recall_figure(table, title="Recall by stored precision"), key="precision_recall"
)
st.caption(
    f"recall@{k} of vectors stored as int8 (sentence-transformers scalar quantization, ranges "
    "calibrated on this corpus) and binary (sign bits, Hamming distance, which every measure "
    "ranks alike), against the exact "
    f"float32 full-size neighbours, on {int(table['quantized_queries'].iloc[0]):,} documents."
)

st.subheader("Search time")
st.caption(
    f"Measured on {widgets.plain(table.attrs.get(MEASURED_ON, 'this machine'))}: the median time "
    f"one person waits for one exact top-{k} search of a single corpus document against the "
    "whole corpus on one core, over 10 documents × 3 runs each, with each stored precision's "
    "own kernel (as on the Retrieval quality page): float32 by a matrix-vector product, int8 "
    "from its 1-byte codes, binary by Hamming distance over packed bits."
)
st.plotly_chart(latency_figure(table, title="Milliseconds per query"), key="latency")

st.subheader("Native vs PCA ordering")
st.caption(
    "The same model's vectors, truncated as they come (native) or after rotating onto the "
    "corpus's principal axes (PCA). If PCA keeps much more at small sizes, the model's own "
    "order is not Matryoshka-like."
)
if st.toggle("Compare orderings", key="compare_orderings"):
    with st.spinner("Computing both orderings…"):
        comparison, recommendations = pipe.store.memo(
            pipe.keys.orderings(k, share),
            lambda: compare_orderings(
                pipe.raw(), dims, k=k, min_recall_share=share, measure=pipe.measure
            ),
        )
    for ordering, rec in recommendations.items():
        st.markdown(f"**{ordering}**: {rec.sentence}")
    st.plotly_chart(
        fidelity_curves(comparison, threshold=share, title="Native (solid) vs PCA (dashed)"),
        key="comparison",
    )
