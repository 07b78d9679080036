"""Tests for core.viz.map_labels and core.viz.palette: names placed at their groups, never
overlapping (checked from the figure's own annotations), two levels, and colours that stay
apart, follow a community down the ladder and grey out the tiny ones."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import plotly
import pytest

from core.analysis.communities import match_communities
from core.analysis.lineage import coarse_size, parent_communities
from core.viz.map_labels import (
    CHAR_WIDTH,
    LINE_HEIGHT,
    LabelFrame,
    LabelLevels,
    medoids,
    place_labels,
    wrap,
)
from core.viz.map_plot import map_figure, map_spec
from core.viz.palette import GREY, PALETTE, group_colours, group_sizes, small_threshold
from core.viz.text import hover_texts
from tests.browser_support import blank_page
from tests.support import map_scene

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

WORDS = ("orbit", "comet", "flour", "butter", "tennis", "serve", "router", "packet", "query")


def _clustered(n: int = 6_000, groups: int = 40, seed: int = 0):
    """A map of `groups` round blobs of uneven sizes, a coarse grouping of eight blobs each,
    plain-text names and the legend names."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-30, 30, size=(groups, 2))
    shares = rng.dirichlet(np.full(groups, 2.0))
    labels = rng.choice(groups, size=n, p=shares)
    coords = (centres[labels] + rng.normal(scale=1.2, size=(n, 2))).astype(np.float32)
    names = {g: f"{WORDS[g % 9]}, {WORDS[(g * 4 + 1) % 9]}, group {g}" for g in range(groups)}
    coarse = labels // 8
    coarse_names = {c: f"theme {c}" for c in range(groups // 8)}
    return coords, labels, names, coarse, coarse_names


def _figure(coords, labels, names, levels, **options):
    legend = {g: f"{g} · {name}" for g, name in names.items()}
    hover = hover_texts([""] * len(labels), [str(i) for i in range(len(labels))], None)
    return map_figure(map_scene(coords, labels, legend, names_on_map=levels), hover, **options)


def _label_boxes(fig) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Each name's box as Chromium draws the figure with plotly.js: (level, the drawn text's
    box in pixels, the box the placement assumed, from the annotation's text and font size,
    centred on the drawn text)."""
    with blank_page() as page:
        page.set_content('<div id="map"></div>')
        page.add_script_tag(path=str(PLOTLY_JS))
        draw = "(fig) => Plotly.newPlot('map', fig.data, fig.layout)"
        page.evaluate(draw, json.loads(fig.to_json()))
        drawn = page.evaluate(
            """() => [...document.querySelectorAll('g.annotation')].map((g) => {
                 const r = g.querySelector('.annotation-text').getBoundingClientRect();
                 return [Number(g.dataset.index), r.left, r.top, r.right, r.bottom];
               })"""
        )
    boxes = []
    for index, *rect in drawn:
        note = fig.layout.annotations[index]
        if not (note.name or "").startswith("label-"):
            continue
        rect = np.array(rect)
        lines = note.text.split("<br>")
        half_w = max(len(line) for line in lines) * CHAR_WIDTH * note.font.size / 2
        half_h = len(lines) * LINE_HEIGHT * note.font.size / 2
        cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
        assumed = np.array([cx - half_w, cy - half_h, cx + half_w, cy + half_h])
        boxes.append((note.name, rect, assumed))
    return boxes


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_names_on_a_map_of_many_groups_never_overlap():
    coords, labels, names, coarse, coarse_names = _clustered()
    fig = _figure(
        coords, labels, names, LabelLevels(names, coarse, coarse_names), width=1200, height=800
    )
    boxes = _label_boxes(fig)
    assert len(boxes) >= 15
    assert {level for level, _, _ in boxes} == {"label-coarse", "label-fine"}
    clashes = [
        (i, j)
        for (i, (_, a, _)), (j, (_, b, _)) in itertools.combinations(enumerate(boxes), 2)
        if _overlap(a, b)
    ]
    assert clashes == []
    # the placement's boxes hold the drawn text, so names placed apart are drawn apart
    for _, drawn, assumed in boxes:
        assert assumed[0] <= drawn[0] + 0.5 and drawn[2] <= assumed[2] + 0.5
        assert assumed[1] <= drawn[1] + 0.5 and drawn[3] <= assumed[3] + 0.5


def test_a_name_sits_inside_its_group_at_its_medoid():
    coords, labels, names, _, _ = _clustered(groups=12, seed=3)
    fig = _figure(coords, labels, names, LabelLevels(names), width=1200, height=800)
    notes = [a for a in fig.layout.annotations if a.name == "label-fine"]
    by_text = {"<br>".join(wrap(name)): g for g, name in names.items()}
    assert len(notes) >= 8
    for note in notes:
        group = by_text[note.text]
        nearest = np.argmin(((coords - [note.x, note.y]) ** 2).sum(axis=1))
        assert labels[nearest] == group
    # an unmoved name is exactly at its group's medoid, a member of the group
    centres = medoids(coords, labels)
    at_medoid = [n for n in notes if np.allclose([n.x, n.y], centres[by_text[n.text]][0])]
    assert len(at_medoid) >= len(notes) // 2


def test_two_levels_coarse_names_larger_and_bold():
    coords, labels, names, coarse, coarse_names = _clustered()
    fig = _figure(coords, labels, names, LabelLevels(names, coarse, coarse_names))
    coarse_notes = [a for a in fig.layout.annotations if a.name == "label-coarse"]
    fine_notes = [a for a in fig.layout.annotations if a.name == "label-fine"]
    assert coarse_notes and fine_notes
    assert min(a.font.size for a in coarse_notes) > max(a.font.size for a in fine_notes)
    assert {a.font.weight for a in coarse_notes} == {700}
    assert {a.text for a in coarse_notes} <= set(coarse_names.values())


def test_no_levels_no_names_and_the_sample_note_stays():
    coords, labels, names, _, _ = _clustered(n=2_000)
    spec = map_spec(map_scene(coords, labels, names), [""] * len(labels), limit=500)
    notes = spec["layout"]["annotations"]
    assert [note.get("name") for note in notes] == [None]  # only the sample note
    assert "showing a fixed sample" in notes[0]["text"]


def test_bigger_groups_get_bigger_names_and_small_ones_none():
    rng = np.random.default_rng(0)
    sizes = [2_000, 500, 100, 3]  # the last is under the small-community threshold
    labels = np.repeat(np.arange(4), sizes)
    centres = np.array([[0, 0], [40, 0], [0, 40], [40, 40]])
    coords = centres[labels] + rng.normal(size=(len(labels), 2))
    frame = LabelFrame(800, 800, (-10, 50), (-10, 50))
    placed = place_labels(coords, labels, {g: f"group {g}" for g in range(4)}, frame)
    font = {label.group: label.size for label in placed}
    assert set(font) == {0, 1, 2}
    assert font[0] > font[1] > font[2]


def test_hostile_names_are_escaped():
    coords, labels, names, _, _ = _clustered(n=500, groups=3)
    names = {g: "<script>alert(1)</script> & co" for g in names}
    fig = _figure(coords, labels, names, LabelLevels(names), width=1200, height=800)
    texts = [a.text for a in fig.layout.annotations if a.name == "label-fine"]
    assert texts and all("<script>" not in t and "&lt;script&gt;" in t for t in texts)


def test_label_cost_is_bounded_by_the_medoid_sample():
    coords, labels, names, coarse, coarse_names = _clustered(n=100_000, groups=60)
    frame = LabelFrame(900, 600, (-35, 35), (-35, 35))
    placed = place_labels(
        coords, labels, names, frame, coarse_groups=coarse, coarse_names=coarse_names
    )
    assert 10 <= len(placed) <= 2 * 60


def test_parents_and_the_coarse_size_follow_the_lineage():
    fine = np.array([0, 0, 0, 1, 1, 2, 2, 2, 3])
    coarse = np.array([5, 5, 6, 5, 5, 7, 7, 6, 7])
    assert parent_communities(fine, coarse) == {0: 5, 1: 5, 2: 7, 3: 7}
    counts = {256: 20, 128: 14, 64: 7, 32: 5, 8: 3}
    assert coarse_size(counts, 256) == 64  # 7 is nearest a handful (6), ties to the larger
    assert coarse_size(counts, 32) == 8
    assert coarse_size(counts, 8) is None


def _lab(hex_colour: str) -> np.ndarray:
    rgb = np.array([int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = (
        np.array(
            [
                [0.4124564, 0.3575761, 0.1804375],
                [0.2126729, 0.7151522, 0.0721750],
                [0.0193339, 0.1191920, 0.9503041],
            ]
        )
        @ linear
        / np.array([0.95047, 1.0, 1.08883])
    )
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_thirty_palette_colours_are_pairwise_distinguishable_and_not_grey():
    colours = group_colours({g: 100 for g in range(30)})
    assert len(set(colours.values())) == 30
    lab = np.array([_lab(c) for c in colours.values()])
    distance = np.linalg.norm(lab[:, None] - lab[None], axis=2)
    np.fill_diagonal(distance, np.inf)
    assert distance.min() >= 20  # ΔE*ab: well past a just-noticeable difference (~2.3)
    assert np.linalg.norm(lab - _lab(GREY), axis=1).min() >= 20


def test_past_the_palette_colours_stay_distinct_while_any_is_free():
    colours = group_colours({g: 100 for g in range(len(PALETTE))} | {50: 100, 60: 100})
    assert len(set(colours.values())) == len(PALETTE)  # every colour taken, then repeats
    fewer = group_colours({g: 100 for g in range(10)} | {len(PALETTE) + 2: 100})
    assert len(set(fewer.values())) == 11


def test_tiny_communities_are_grey():
    sizes = {0: 5_000, 1: 4_000, 2: small_threshold(10_000) - 1, 3: 999}
    colours = group_colours(sizes, n=10_000)
    assert colours[2] == GREY and colours[0] != GREY and colours[3] != GREY


def test_a_community_that_survives_keeps_its_colour_down_the_ladder():
    rng = np.random.default_rng(1)
    big = rng.permutation(np.repeat(np.arange(30), 40))
    # at the smaller size communities 3 and 4 merge (4 joins 3) and community 9 splits in two
    small = big.copy()
    small[small == 4] = 3
    nine = np.flatnonzero(small == 9)
    small[nine[:15]] = 99
    small = match_communities(big, rng.permutation(30 + 70)[small])  # arbitrary raw ids
    before, after = group_colours(group_sizes(big)), group_colours(group_sizes(small))
    kept = [c for c in range(30) if c not in (3, 4, 9)]
    # the same members, the same colour
    for c in kept:
        assert after[int(small[big == c][0])] == before[c]
    assert after[int(small[big == 3][0])] == before[3]  # the merge takes its larger part's
    assert after[int(small[nine[-1]])] == before[9]  # the larger half of the split keeps it
    assert after[int(small[nine[0]])] not in {before[c] for c in kept}


@pytest.mark.parametrize("text", ["one", "a much longer name with many words in it here"])
def test_wrap_keeps_names_to_two_lines(text):
    lines = wrap(text)
    assert 1 <= len(lines) <= 2 and all(len(line) <= 23 for line in lines)


def test_a_name_by_the_maps_edge_moves_just_inside_it():
    rng = np.random.default_rng(2)
    labels = np.repeat([0, 1], 200)
    coords = np.where(labels[:, None] == 0, [[0.0, 0.0]], [[10.0, 0.0]])
    coords = coords + rng.normal(scale=0.3, size=(400, 2))
    frame = LabelFrame(400, 400, (-1, 10.5), (-6, 6))
    names = {0: "left group", 1: "a long name at the right edge"}
    (left, right) = sorted(place_labels(coords, labels, names, frame), key=lambda a: a.x)
    x0, _, x1, _ = right.box(frame.units_per_pixel)
    assert x1 <= frame.bounds[2] + 1e-9
    assert right.y == pytest.approx(medoids(coords, labels)[1][0][1])  # moved sideways only
    assert x0 < 10 < x1  # still over its group
