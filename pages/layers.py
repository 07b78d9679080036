"""Multi-layer graph: every size's kNN graph as one layered graph, and the topics that last."""

import pandas as pd
import streamlit as st

from core.analysis.lineage import cluster_tree
from core.analysis.multilayer import (
    APPEARS,
    BACKBONE,
    BACKBONE_SHARE,
    COMMUNITY_LEVEL,
    DOCUMENT_NODE_LIMIT,
    LARGE_ONLY,
    level_note,
    multilayer_counts,
    multilayer_graph,
    topics,
)
from core.io.export import figure_bytes, graph_bytes
from core.viz.multilayer_plots import hierarchy_figure
from pages import state, widgets

state.require_entrypoint()

st.title("Multi-layer graph")
pipe = state.pipeline()
corpus, choice = pipe.corpus, pipe.choice
dims, labels, names = pipe.lineage()
views = pipe.views()
graphs = {d: views[d].graph for d in dims}
st.caption(
    "All sizes at once: one layer per size (the kNN graph of that prefix), every document in "
    "every layer, and each community linked to the communities at the next smaller size that "
    "receive its members. " + state.ordering_note(choice)
)

min_share = st.slider(
    "Share of members that must stay together for a topic to continue",
    0.5,
    1.0,
    BACKBONE_SHARE,
    0.05,
    key="backbone_share",
    help="A community continues a topic at the next smaller size when it takes at least this "
    "share of the topic's members and at least this share of its own members come from it.",
)
tree = cluster_tree(dims, labels, names)
found = topics(tree, min_share=min_share)
hierarchy = hierarchy_figure(tree, found, title="Community hierarchy: coarse sizes on top")
st.plotly_chart(hierarchy, key="hierarchy")

st.subheader("Backbone topics")
st.caption(f"Topics found at every size, from {dims[0]} down to {dims[-1]} dims.")
backbone = [t for t in found if t.status == BACKBONE]
if not backbone:
    st.info("No topic lasts from the full size to the smallest with this share.")
for topic in backbone:
    st.markdown(f"- {widgets.plain(topic.describe())}")

st.subheader("Found only at large sizes")
st.caption("Topics of the full size that end before the smallest, and where their members go.")
large_only = [t for t in found if t.status == LARGE_ONLY]
if not large_only:
    st.info("Every topic of the full size lasts to the smallest.")
for topic in large_only:
    st.markdown(f"- {widgets.plain(topic.describe())}")
appearing = [t for t in found if t.status == APPEARS]
if appearing:
    with st.expander(f"{len(appearing)} topics first found at a smaller size"):
        for topic in appearing:
            st.markdown(f"- {widgets.plain(topic.describe())}")

st.subheader("The graph")
counts = multilayer_counts(tree, graphs, labels, document_limit=DOCUMENT_NODE_LIMIT)
note = level_note(counts.level, len(corpus), len(dims), DOCUMENT_NODE_LIMIT)
if counts.level == COMMUNITY_LEVEL:
    st.info(widgets.plain(note), icon="ℹ️")
else:
    st.caption(widgets.plain(note))
c1, c2, c3 = st.columns(3)
c1.metric("Layers", len(dims))
c2.metric("Nodes", f"{sum(counts.nodes.values()):,}")
c3.metric("Edges", f"{sum(counts.edges.values()):,}")
rows = [(f"{kind} nodes", n) for kind, n in counts.nodes.items() if n]
rows += [(f"{kind} edges", n) for kind, n in counts.edges.items() if n]
st.dataframe(pd.DataFrame(rows, columns=["what", "count"]), hide_index=True)


def multilayer():
    return multilayer_graph(
        dims,
        graphs,
        labels,
        names,
        corpus.ids,
        document_limit=DOCUMENT_NODE_LIMIT,
        min_share=min_share,
    )


st.subheader("Export")
st.caption(
    "GraphML and node-link JSON open in Gephi, Cytoscape and networkx; every node has its layer "
    "and dim (size) as attributes, every edge its kind. Files are written when you click."
)
stem = (corpus.name, choice.spec.key, choice.ordering)
downloads = [
    (
        "Multi-layer GraphML",
        lambda: graph_bytes(multilayer(), "graphml"),
        "multilayer",
        "graphml",
        "application/xml",
    ),
    (
        "Multi-layer JSON",
        lambda: graph_bytes(multilayer(), "json"),
        "multilayer",
        "json",
        "application/json",
    ),
    ("Hierarchy PNG", lambda: figure_bytes(hierarchy, "png"), "hierarchy", "png", "image/png"),
    (
        "Hierarchy SVG",
        lambda: figure_bytes(hierarchy, "svg"),
        "hierarchy",
        "svg",
        "image/svg+xml",
    ),
]
widgets.download_row(downloads, stem)
