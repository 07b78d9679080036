"""Picking documents on a map: the map of one size with chosen documents ringed, where clicking,
box- or lasso-selecting points picks their rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import streamlit as st

from core import pictures
from core.pipeline import Pipeline
from core.viz.map_plot import add_pins, hover_caption, map_figure, selected_rows


def map_selection(
    pipe: Pipeline, dim: int, marked: Sequence[int], *, title: str, key: str, height: int = 600
) -> list[int]:
    """Draw the map at `dim` (the PCA preview until its UMAP map is ready, said in the title)
    with the `marked` rows ringed, and return the rows selected on it, in row order."""
    scene = pictures.map_scene(pipe, dim, labelled=False)
    scene = replace(scene, title=title + ("" if scene.is_umap else " (PCA preview)"))
    fig = map_figure(scene, pictures.hovers(pipe), height=height)
    fig.update_layout(dragmode="select")  # dragging picks documents here, rather than zooming
    event = st.plotly_chart(
        add_pins(fig, scene.coords, marked, pipe.corpus.ids),
        key=key,
        on_select="rerun",
        selection_mode=("points", "box", "lasso"),
    )
    if caption := hover_caption(len(pipe.corpus)):
        st.caption(caption)
    return selected_rows(event.selection.points)
