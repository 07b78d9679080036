"""Cluster lineage: how communities merge, split or scatter as the embedding is truncated."""

import streamlit as st

from core import pictures
from core.analysis.lineage import (
    cluster_tree,
    describe,
    label_agreement,
    lineage_events,
)
from core.io.export import figure_bytes, tree_bytes
from core.runtime.errors import ExplorerError
from core.viz.lineage_plots import containment_figure, tree_figure
from pages import state, widgets

state.require_entrypoint()

st.title("Cluster lineage")
pipe = state.pipeline()
corpus, choice = pipe.corpus, pipe.choice
dims, labels, names = pipe.lineage()
st.caption(
    "Communities at each size of the ladder, largest first. Flows are shared documents. "
    + state.ordering_note(choice)
)

summary = pipe.lineage_summary()
sankey = pictures.sankey(pipe)
# at its own width: its names are fitted to the room between its columns
st.plotly_chart(sankey, key="sankey", width="content")
st.caption("Each community is named once, where it is widest; hover a node for any other.")
left, right = st.columns([2, 3])
with left:
    st.plotly_chart(
        containment_figure(summary, title="Nesting per step (above chance)"), key="containment"
    )
with right:
    st.caption(
        "Nesting, measured both ways and corrected for chance (0 = what a random relabelling of "
        "the same community sizes scores, 1 = perfect). Merges: the share of documents whose "
        "community at the larger size lands whole in one community at the next smaller size. "
        "Splits: the same in reverse, each community at the smaller size lying inside one at the "
        "larger size. The verdict: 'clean merges' or 'clean splits' when that direction reaches "
        "0.9, 'same partition' when both do, 'mostly nested' from 0.5, otherwise 'reshuffle'. "
        "The table also shows the raw shares, their chance levels and the AMI (adjusted mutual "
        "information: 0 = chance, 1 = identical)."
    )
    st.dataframe(summary, hide_index=True)

st.subheader("Merge and split events")
c1, c2 = st.columns(2)
min_share = c1.slider("Share of members that must move together", 0.5, 1.0, 0.8, 0.05)
min_size = c2.number_input("Smallest community to report", 1, 1000, 5)
events = lineage_events(dims, labels, names, min_share=min_share, min_size=int(min_size))
if not events:
    st.info("No merges, splits or scatters pass these thresholds.")
for event in events:
    st.markdown(f"- **{event.kind}** · {widgets.plain(describe(event))}")

st.subheader("Cluster tree")
tree = cluster_tree(dims, labels, names)
tree_fig = tree_figure(tree, title="Cluster tree: communities at each size and what they pass down")
st.plotly_chart(tree_fig, key="tree", width="content")

if corpus.labels is not None:
    st.subheader("Agreement with the corpus labels")
    for title, doc_labels in (
        ("fine labels", corpus.labels),
        ("coarse labels", corpus.coarse_labels),
    ):
        if doc_labels is not None:
            st.caption(
                f"Adjusted mutual information (AMI) and adjusted Rand index (ARI) of the "
                f"communities against the {title}: 1 = the same grouping, 0 = what chance gives"
            )
            try:
                st.dataframe(label_agreement(dims, labels, doc_labels), hide_index=True)
            except ExplorerError as error:
                st.info(widgets.plain(str(error)))

st.subheader("Export")
stem = (corpus.name, choice.spec.key, choice.ordering)
downloads = [
    ("Sankey PNG", lambda: figure_bytes(sankey, "png"), "sankey", "png", "image/png"),
    ("Sankey SVG", lambda: figure_bytes(sankey, "svg"), "sankey", "svg", "image/svg+xml"),
    ("Tree PNG", lambda: figure_bytes(tree_fig, "png"), "tree", "png", "image/png"),
    ("Tree SVG", lambda: figure_bytes(tree_fig, "svg"), "tree", "svg", "image/svg+xml"),
    ("Tree GraphML", lambda: tree_bytes(tree, "graphml"), "tree", "graphml", "application/xml"),
    ("Tree JSON", lambda: tree_bytes(tree, "json"), "tree", "json", "application/json"),
]
widgets.download_row(downloads, stem)
