"""A figure spec as the JSON plotly.js draws, written without plotly.py's objects."""

from __future__ import annotations

import base64
import functools
import json

import numpy as np
import plotly.io


@functools.cache
def _template(name: str) -> dict:
    return plotly.io.templates[name].to_plotly_json()


def spec_json(spec: dict) -> bytes:
    """A figure spec (a dict of "data" and "layout", as map_spec's) as the UTF-8 JSON plotly.js
    draws, with numeric arrays as typed arrays, without building plotly.py's objects (whose
    checks would take most of a live map's slider step). The spec is left unchanged."""
    layout = dict(spec["layout"])
    if isinstance(layout.get("template"), str):
        layout["template"] = _template(layout["template"])
    data = [{key: _typed(value) for key, value in trace.items()} for trace in spec["data"]]
    # the standard library's encoder: plotly's encodes twice (to turn NaN into null), and NaN is
    # only ever inside the typed arrays here
    body = json.dumps(
        {"data": data, "layout": layout},
        separators=(",", ":"),
        allow_nan=False,
        default=lambda value: value.tolist(),  # numpy scalars and object arrays (hover text)
    )
    return body.encode()


def _typed(value):
    """A numeric array as plotly.js's typed-array spec (little-endian bytes in base64), quicker
    than plotly's own converter over the many arrays of a large map."""
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        return value
    little = value.astype(value.dtype.newbyteorder("<"), copy=False)
    code = f"{value.dtype.kind}{value.dtype.itemsize}"
    return {"dtype": code, "bdata": base64.b64encode(little.tobytes()).decode()}
