"""Pinned documents: follow chosen documents across the ladder."""

import streamlit as st

from core.analysis.pinned import neighbour_changes, neighbour_table, selected_rows
from core.viz.figures import add_pins, map_figure
from pages import common

common.require_entrypoint()

st.title("Pinned documents")
ctx = common.context()
corpus, choice, views, dims = ctx.corpus, ctx.choice, ctx.views, ctx.dims
st.caption("Pick documents and see which of their neighbours each size keeps, loses and gains.")

pins = st.multiselect(
    "Documents to follow",
    options=range(len(corpus)),
    default=[0],
    format_func=lambda i: f"{corpus.ids[i]} · {corpus.texts[i][:80]}",
    key="pins",
)
if not pins:
    st.info("Pick at least one document.")
    st.stop()

dim = st.select_slider("Embedding dimension to inspect", options=sorted(dims), value=min(dims))
view = views[dim]
coords, is_umap = common.layout_or_preview(choice, ctx.ordered, dim)
fig = map_figure(
    coords,
    view.communities,
    common.names_for(view),
    common.hovers(corpus),
    title=f"Pinned documents at {dim} dims" + ("" if is_umap else " (PCA preview)"),
)
fig.update_layout(dragmode="select")  # dragging picks documents here, rather than zooming
event = st.plotly_chart(
    add_pins(fig, coords, pins, corpus.ids),
    key="pinned_map",
    on_select="rerun",
    selection_mode=("points", "box", "lasso"),
)
picked = [row for row in selected_rows(event.selection.points) if row not in pins]
if picked:
    st.button(
        f"Pin the {len(picked)} selected documents",
        on_click=lambda: st.session_state.update(pins=[*pins, *picked]),
    )
else:
    st.caption("Click, box- or lasso-select points on the map to pin more documents.")

DETAILED = 12
if len(pins) > DETAILED:
    st.caption(f"Details for the first {DETAILED} of {len(pins)} pinned documents.")
for row in pins[:DETAILED]:
    st.subheader(corpus.ids[row])
    st.text(corpus.texts[row][:400])
    st.caption(
        f"Neighbours across the ladder (k = {ctx.settings.k}), compared with {ctx.full} dims"
    )
    st.dataframe(neighbour_changes(views, row, corpus.ids), hide_index=True)
    st.caption(f"Its neighbours at {dim} dims")
    st.dataframe(
        neighbour_table(view, row, corpus.ids, corpus.texts, views[ctx.full]), hide_index=True
    )
