"""The Explore map as a WebGL component (frontend/map): every ready size is sent once, as
compact packs (core.pictures.map_parts), and the slider and play run in the browser, the
points gliding between sizes. The component reports the size the user is on (the slider and
the numbers above the map follow it), the rows box- or lasso-selected, which packs it holds
when it lacks some (a page mounted anew), and whether the browser offers WebGL2."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import cache

import streamlit as st
import streamlit.components.v1 as components

from core.pictures import MapParts
from core.viz.ladder_html import FRONTEND


@cache
def _component():
    """Served from frontend/map: its page and the committed bundle under dist/."""
    return components.declare_component("webgl_map", path=str(FRONTEND))


@dataclass(frozen=True)
class MapReport:
    """What the map said last: whether WebGL2 is there (None: not heard yet) and the rows
    selected on it (corpus rows, in the order drawn; empty: none)."""

    webgl: bool | None
    rows: tuple[int, ...]


def _seen(key: str) -> dict:
    return st.session_state.setdefault(f"{key}-seen", {})


def follow_map_size(dims: list[int], *, key: str, slider: str) -> None:
    """Before the size slider is drawn: a size the user moved to on the map moves the slider
    (each report of the map is taken once)."""
    value = st.session_state.get(key) or {}
    seen = _seen(key)
    if value.get("dim") in dims and value.get("dim_seq") != seen.get("dim_seq"):
        seen["dim_seq"] = value["dim_seq"]
        st.session_state[slider] = value["dim"]
        st.session_state[f"{key}-agreed"] = value["dim"]


def no_webgl(key: str) -> bool:
    """Whether the map has said this browser offers no WebGL2 (the page then draws plotly's)."""
    return (st.session_state.get(key) or {}).get("webgl") is False


def _bundle(parts) -> bytes:
    """Packs for the page, each as key length, key, pack length, pack (frontend decode.js)."""
    out = []
    for part in parts:
        key, pack = part.key.encode(), part.pack()
        out += [struct.pack("<I", len(key)), key, struct.pack("<I", len(pack)), pack]
    return b"".join(out)


def webgl_map(
    parts: MapParts, dim: int, *, key: str, labelled: bool = True, height: int = 600
) -> MapReport:
    """Draw the map at `dim` (a move of the server's slider glides the map there), sending
    only the packs the page does not hold yet."""
    seen = _seen(key)
    value = st.session_state.get(key) or {}
    sent = st.session_state.setdefault(f"{key}-sent", set())
    if value.get("held") is not None and value.get("held_seq") != seen.get("held_seq"):
        seen["held_seq"] = value["held_seq"]
        sent.clear()
        sent.update(value["held"])
    if st.session_state.get(f"{key}-agreed") != dim:  # the slider above the map moved
        st.session_state[f"{key}-agreed"] = dim
        st.session_state[f"{key}-server-seq"] = st.session_state.get(f"{key}-server-seq", 0) + 1
    missing = [part for part in parts.all() if part.key not in sent]
    bundle = _bundle(missing) if missing else None
    sent.update(part.key for part in missing)
    manifest = {
        "texts": parts.texts.key,
        "paint": parts.paint.key,
        "sizes": {str(d): part.key for d, part in parts.sizes.items()},
        "dim": dim,
        "dim_seq": st.session_state.get(f"{key}-server-seq", 0),
        "names": labelled,
        "height": height,
    }
    _component()(manifest=manifest, bundle=bundle, key=key, default=None, height=height + 80)
    return MapReport(value.get("webgl"), tuple(value.get("rows") or ()))
