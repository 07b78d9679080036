"""The Explore map as a component that stays in the page across slider steps. st.plotly_chart
mounts a new chart for every new figure, which takes long (mostly creating WebGL contexts);
here each step hands the figure to Plotly.react in the same plot, far quicker, and the user's
zoom and pan are kept between sizes."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import plotly
import streamlit as st
import streamlit.components.v1 as components

from core.runtime.cache import cache_dir
from core.viz.map_plot import hovers_with_text
from core.viz.plotly_json import spec_json

PAGE = Path(__file__).with_name("map_view.html")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@st.cache_resource
def _component():
    """The component, served from a cache folder holding its page and the installed plotly.js
    (Streamlit serves a component's files from one folder and refuses links out of it)."""
    page = PAGE.read_bytes()
    tag = hashlib.sha256(page + plotly.__version__.encode()).hexdigest()[:12]
    folder = cache_dir() / "components" / f"map-view-{tag}"
    if not (folder / "plotly.min.js").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_bytes(page)
        partial = folder / "plotly.min.js.part"
        shutil.copyfile(PLOTLY_JS, partial)
        partial.replace(folder / "plotly.min.js")
    return components.declare_component("map_view", path=str(folder))


def map_view(spec: dict, *, key: str, revision: str = "", hover: Sequence[str] = ()) -> None:
    """Draw a figure spec (core.viz.map_plot.map_spec) in the kept plot, setting its uirevision:
    `revision` names what the user's zoom and pan belong to, and a new one (another corpus, say)
    starts from the whole map. `hover`, for a spec built with text_by_row: every row's hover
    text, sent only until the page holds it (its value is then the text's digest), so that a
    slider step sends the map without it, a small part of the bytes."""
    layout = {**spec["layout"], "uirevision": revision or key}
    body = spec_json({**spec, "layout": layout})
    digest = _digest(hover) if hover and hovers_with_text(spec) else ""
    held = st.session_state.get(key) == digest
    _component()(
        figure=body,
        revision=hashlib.blake2b(body, digest_size=8).hexdigest(),
        hover=None if held or not digest else json.dumps(list(hover)).encode(),
        hover_digest=digest,
        config={"displaylogo": False, "responsive": True},
        height=(layout["height"] or 600) + 10,
        key=key,
        default=None,
    )


_last_digest: tuple[Sequence[str], str] | None = None  # the last texts digested, and their digest


def _digest(texts: Sequence[str]) -> str:
    """A digest of the texts, remembered for the last sequence object given: each slider step
    passes the same memoised (never modified) list, so a large corpus's texts are digested once
    rather than on every step."""
    global _last_digest
    last = _last_digest
    if last is not None and last[0] is texts:
        return last[1]
    digest = hashlib.blake2b("\x1f".join(texts).encode(), digest_size=8).hexdigest()
    _last_digest = (texts, digest)
    return digest
