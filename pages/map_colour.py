"""Colour by and Find on the map, above the Explore map: what colours the map and its exports,
how well a label column's categories separate at this size, and which documents to highlight."""

from __future__ import annotations

import streamlit as st

from core import pictures
from core.analysis.colour_by import COMMUNITY, Column
from core.analysis.ladder import DimensionView
from core.analysis.text_match import MAX_QUERY_WORDS
from core.pipeline import Pipeline
from core.runtime.errors import ExplorerError
from pages.widgets import plain, show_error

KEYS = ("colour_by", "find_query")


def keep_choices() -> None:
    """Keep the two choices while the page shows no map controls (a size still computing):
    Streamlit forgets a widget's value on a run that does not draw it."""
    for key in KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def map_colour_controls(pipe: Pipeline, view: DimensionView) -> tuple[Column | None, str]:
    """The Colour by and Find widgets, the search's count and, for a label column, its purity
    and AMI at this size beside a per-size table; returns what the map is drawn with: the
    column that colours it (None: the communities) and the query to highlight ("" when it was
    refused)."""
    columns = pictures.colour_columns(pipe)
    options = [COMMUNITY, *columns]
    if st.session_state.get("colour_by") not in options:  # another corpus: its own columns
        st.session_state.colour_by = COMMUNITY
    left, right = st.columns([1, 2])
    chosen = left.selectbox(
        "Colour by",
        options,
        key="colour_by",
        help="The communities found at this size, or a column of your documents (categories "
        "get a colour each, numbers a colour scale). Kept while you change the size.",
    )
    query = right.text_input(
        "Find on the map",
        key="find_query",
        max_chars=200,
        placeholder="words in a document's text or id",
        help=f"Highlights the documents whose text or id contains every word (up to "
        f"{MAX_QUERY_WORDS}; case does not matter), at every size.",
    )
    column = columns.get(chosen)
    with st.container():  # always there, so the map below keeps its place in the page
        try:
            found, note = pictures.highlight(pipe, query)
        except ExplorerError as error:
            show_error(error)
            found, note, query = None, "", ""
        if found is not None:
            st.caption(plain(note) + " (highlighted on the map and in its downloads).")
        if column is not None and column.numeric:
            st.caption(
                f"{plain(column.name)} is a number per document: the map shows it on a colour "
                "scale (grey: no value). Purity and AMI are measured for category columns."
            )
        elif column is not None:
            _separation(pipe, view, column)
    return column, query


def _separation(pipe: Pipeline, view: DimensionView, column: Column) -> None:
    """This size's kNN purity and AMI for the column, against the full size's, and a table of
    every size computed so far."""
    table = pictures.separation(pipe, column)
    here = table[table["dim"] == view.dim].iloc[0]
    full = table[table["dim"] == pipe.full]
    k = view.neighbours.indices.shape[1]
    name = plain(column.name)

    def change(what: str) -> str | None:
        if full.empty or view.dim == pipe.full:
            return None
        gap = here[what] - full[what].iloc[0]
        shown = f"{gap * 100:+.1f} pts" if what == "purity" else f"{gap:+.2f}"
        return f"{shown} vs {pipe.full}d"

    cols = st.columns(3)
    cols[0].metric(
        f"kNN purity@{k} ({name})",
        f"{here['purity']:.1%}",
        change("purity"),
        help=f"Share of each document's {k} neighbours at this size with its {name}.",
    )
    cols[1].metric(
        f"AMI communities vs {name}",
        f"{here['ami']:.2f}",
        change("ami"),
        help="Adjusted mutual information: 1 when the communities are the categories, 0 for "
        "what chance gives.",
    )
    cols[2].metric(
        "Purity by chance",
        f"{here['chance']:.1%}",
        help=f"The purity of neighbours drawn at random: the chance that another document, "
        f"blank ones included, has a document's {name}.",
    )
    with st.expander(f"How well {name} separates at each size"):
        shown = table.rename(
            columns={"purity": f"kNN purity@{k}", "chance": "by chance", "ami": "AMI"}
        )
        percent = st.column_config.NumberColumn(format="percent")
        st.dataframe(
            shown,
            hide_index=True,
            column_config={
                f"kNN purity@{k}": percent,
                "by chance": percent,
                "AMI": st.column_config.NumberColumn(format="%.2f"),
            },
        )
        if len(table) < len(pipe.dims):
            st.caption(f"{len(table)} of {len(pipe.dims)} sizes computed so far.")
