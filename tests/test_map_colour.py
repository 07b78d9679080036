"""The map coloured by a column of the corpus (categories or numbers) and with found documents
highlighted, live and as exported pictures."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from core.analysis.colour_by import categorical_column, grouping
from core.io.export import figure_bytes
from core.viz.layout import MAP_POINT_LIMIT
from core.viz.map_plot import HIGHLIGHT_META, HIGHLIGHT_RING, hovers_with_text, map_figure, map_spec
from core.viz.palette import BLANK_COLOUR, community_colour
from core.viz.plotly_json import spec_json
from core.viz.text import hover_texts
from tests.support import map_scene

N = 60
HOSTILE = "<img src=x onerror=alert(1)>"


def _inputs():
    rng = np.random.default_rng(1)
    coords = rng.normal(size=(N, 2)).astype(np.float32)
    communities = np.arange(N) % 3
    names = {c: f"{c} · word{c}" for c in range(3)}
    hover = hover_texts([f"text {i}" for i in range(N)], [f"d{i}" for i in range(N)], None)
    return coords, communities, names, hover


def _label_column():
    values = [("sport", "music", HOSTILE)[i % 3] if i % 10 else "" for i in range(N)]
    return categorical_column("genre <i>", values)


def test_colouring_by_a_label_column_gives_a_trace_and_colour_per_category():
    coords, communities, names, hover = _inputs()
    group = grouping(_label_column(), communities, names)
    spec = map_spec(map_scene(coords, group.codes, group.names, colour_title=group.title), hover)
    traces = {t["name"]: t for t in spec["data"]}
    assert set(traces) == {"sport", "music", "&lt;img src=x onerror=alert(1)&gt;", "(blank)"}
    assert len(traces["(blank)"]["x"]) == 6  # rows 0, 10, …, 50
    assert sum(len(t["x"]) for t in spec["data"]) == N
    music = next(code for code, name in group.names.items() if name == "music")
    assert traces["music"]["marker"]["color"] == community_colour(music)
    legend = spec["layout"]["legend"]
    assert legend["title"]["text"] == "genre &lt;i&gt;" and legend["uirevision"] == "genre <i>"


def test_a_numeric_column_is_one_scaled_trace_with_a_colour_bar_and_grey_blanks():
    coords, communities, names, hover = _inputs()
    values = np.linspace(0, 10, N).astype(np.float32)
    values[[4, 7]] = np.nan
    spec = map_spec(
        map_scene(coords, communities, names, colour_title="year", values=values), hover
    )
    valued, blank = spec["data"]
    assert len(valued["x"]) == N - 2 and len(blank["x"]) == 2
    np.testing.assert_array_equal(valued["marker"]["color"], values[valued["customdata"]])
    assert (
        valued["marker"]["showscale"]
        and "grey: blank" in valued["marker"]["colorbar"]["title"]["text"]
    )
    assert (valued["marker"]["cmin"], valued["marker"]["cmax"]) == (0.0, 10.0)
    assert blank["marker"]["color"] == BLANK_COLOUR
    assert "%{marker.color" in valued["hovertemplate"] and hovers_with_text(spec)
    assert not any(t.get("showlegend", True) for t in spec["data"])
    spec_json(spec)  # the live map sends it


def test_highlighted_rows_are_drawn_again_on_top_and_the_rest_fade():
    coords, communities, names, hover = _inputs()
    found = np.zeros(N, bool)
    found[[1, 2, 30, 59]] = True
    spec = map_spec(
        map_scene(coords, communities, names, highlight=found, highlight_note="4 found"), hover
    )
    base = [t for t in spec["data"] if t.get("meta") != HIGHLIGHT_META]
    top = [t for t in spec["data"] if t.get("meta") == HIGHLIGHT_META]
    assert spec["data"][-len(top) :] == top  # drawn last, over every other point
    assert sorted(np.concatenate([t["customdata"] for t in top]).tolist()) == [1, 2, 30, 59]
    assert all(t["opacity"] < 1 for t in base) and all(t["opacity"] == 1 for t in top)
    for trace in top:  # each in its group's colour and legend group, ringed
        group = next(t for t in base if t["legendgroup"] == trace["legendgroup"])
        assert trace["marker"]["color"] == group["marker"]["color"]
        assert trace["marker"]["line"]["color"] == HIGHLIGHT_RING
        assert np.array_equal(trace["x"], coords[trace["customdata"], 0])
        assert [str(t) for t in trace["text"]] == [hover[r] for r in trace["customdata"]]
    assert spec["layout"]["annotations"][0]["text"] == "4 found"
    nothing = map_spec(map_scene(coords, communities, names, highlight=np.zeros(N, bool)), hover)
    assert all("opacity" not in t for t in nothing["data"])  # nothing to follow: no fading


def test_highlight_over_a_numeric_column_keeps_its_scale_without_a_second_bar():
    coords, communities, names, hover = _inputs()
    values = np.arange(N, dtype=np.float32)
    found = np.arange(N) % 7 == 0
    spec = map_spec(map_scene(coords, communities, names, values=values, highlight=found), hover)
    top = next(t for t in spec["data"] if t.get("meta") == HIGHLIGHT_META)
    np.testing.assert_array_equal(top["marker"]["color"], values[found])
    assert top["marker"]["cmax"] == N - 1 and not top["marker"]["showscale"]
    assert "colorbar" not in top["marker"]


def test_highlight_note_is_escaped_and_counts_only_the_drawn_sample_above_the_limit():
    n = MAP_POINT_LIMIT + 500
    coords = np.random.default_rng(0).normal(size=(n, 2)).astype(np.float32)
    labels = np.zeros(n, int)
    found = np.zeros(n, bool)
    found[:2_000] = True
    spec = map_spec(
        map_scene(coords, labels, {0: "all"}, highlight=found, highlight_note=f"2,000 {HOSTILE}"),
        [""] * n,
    )
    note = spec["layout"]["annotations"][0]["text"]
    assert note.startswith("showing a fixed sample") and "&lt;img" in note and "<img" not in note
    top = next(t for t in spec["data"] if t.get("meta") == HIGHLIGHT_META)
    assert 0 < len(top["x"]) <= 2_000


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_exported_map_follows_the_colour_choice_and_the_highlight(fmt):
    coords, communities, names, hover = _inputs()
    group = grouping(_label_column(), communities, names)
    found = np.zeros(N, bool)
    found[[3, 6, 9]] = True
    fig = map_figure(
        map_scene(
            coords,
            group.codes,
            group.names,
            title="demo · 64 dims",
            colour_title=group.title,
            highlight=found,
            highlight_note=f"3 documents contain “{HOSTILE}”",
        ),
        hover,
    )
    data = figure_bytes(fig, fmt, width=900, height=600)
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        assert (width, height) == (1800, 1200)  # scale 2
        return
    svg = data.decode()
    legend = [html.unescape(t) for t in re.findall(r'class="legendtext"[^>]*>([^<]*)<', svg)]
    assert sorted(legend) == sorted(["sport", "music", HOSTILE, "(blank)"])  # shown as typed
    assert "<img" not in svg and "<i>" not in svg
    assert "genre <i>" in [html.unescape(t) for t in re.findall(r">([^<]+)<", svg)]
    assert "3 documents contain" in svg
    assert svg.count("stroke: rgb(17, 17, 17)") == 3  # the rings of the three found points
