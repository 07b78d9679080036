"""The app's run: declares the pages and the shared sidebar, then runs the chosen page (app.py
calls it on every run)."""

import streamlit as st

from core.runtime.errors import ExplorerError
from pages import state, widgets
from pages.resources import warm_up_after_first_run


def run_app() -> None:
    st.set_page_config(
        page_title="Matryoshka Graph Explorer", page_icon=":material/hub:", layout="wide"
    )
    state.init_state()

    navigation = st.navigation(
        [
            st.Page("pages/explore.py", title="Explore", icon=":material/explore:", default=True),
            st.Page("pages/data.py", title="Corpus & model", icon=":material/description:"),
            st.Page(
                "pages/lineage.py",
                title="Cluster lineage",
                icon=":material/account_tree:",
                url_path="lineage",
            ),
            st.Page(
                "pages/layers.py",
                title="Multi-layer graph",
                icon=":material/layers:",
                url_path="layers",
            ),
            st.Page("pages/fidelity.py", title="Fidelity & size", icon=":material/straighten:"),
            st.Page(
                "pages/retrieval.py",
                title="Retrieval quality",
                icon=":material/manage_search:",
                url_path="retrieval",
            ),
            st.Page("pages/search.py", title="Search", icon=":material/search:", url_path="search"),
            st.Page("pages/pinned.py", title="Pinned documents", icon=":material/push_pin:"),
            st.Page(
                "pages/pairs.py",
                title="Two documents",
                icon=":material/compare_arrows:",
                url_path="pairs",
            ),
        ]
    )
    try:
        model_key = state.current_spec().key
    except ExplorerError:  # the page itself shows the message
        model_key = st.session_state.model_key
    corpus = st.session_state.corpus
    widgets.sidebar_settings(corpus.name, len(corpus), model_key)
    try:
        navigation.run()
    finally:
        warm_up_after_first_run()
