"""The WebGL map's data (core.viz.map_data) and the standalone file (core.viz.ladder_html)."""

import gzip

import numpy as np
import pytest

from core.viz import map_data
from core.viz.ladder_html import standalone_html
from core.viz.map_labels import LabelLevels
from core.viz.palette import group_colours, group_sizes
from core.viz.text import HOVER_CHARS, hover_lines
from tests.support import map_scene


def _coords(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 5, (n, 2))


def test_quantised_positions_are_within_half_a_step_of_the_map():
    coords = _coords(10_000)
    placed = map_data.quantise(coords)
    span = (coords.max(axis=0) - coords.min(axis=0)).max()
    error = np.abs(placed.positions() - coords).max()
    assert placed.codes.dtype == np.uint16
    assert error <= span / map_data.STEPS / 2 + 1e-12
    assert placed.codes.max() == map_data.STEPS  # the larger side uses every code


def test_unplaced_rows_are_missing_and_come_back_as_nan():
    coords = _coords(100)
    coords[[3, 7]] = np.nan
    placed = map_data.quantise(coords)
    assert (placed.codes[[3, 7]] == map_data.MISSING).all()
    back = placed.positions()
    assert np.isnan(back[[3, 7]]).all() and np.isfinite(np.delete(back, [3, 7], axis=0)).all()


def test_pack_round_trips_meta_and_arrays_aligned():
    arrays = {
        "a": np.arange(5, dtype=np.uint16),
        "b": np.linspace(0, 1, 3, dtype=np.float32),
        "c": np.arange(7, dtype=np.uint32),
    }
    meta, back = map_data.unpack(map_data.pack({"kind": "x", "name": "é"}, arrays))
    assert meta == {"kind": "x", "name": "é"}
    for name, array in arrays.items():
        assert back[name].dtype == array.dtype and (back[name] == array).all()
    body = gzip.decompress(map_data.pack({}, arrays))
    length = int.from_bytes(body[4:8], "little")
    assert (8 + length) % map_data.ALIGN == 0


def test_a_size_is_six_bytes_per_point_before_compression():
    n = 20_000
    communities = np.arange(n) % 7
    pack = map_data.size_pack(64, map_scene(_coords(n), communities, {}), np.arange(n))
    _, arrays = map_data.unpack(pack)
    assert arrays["xy"].nbytes + arrays["colour"].nbytes == 6 * n
    assert len(pack) < 6 * n


def test_community_colours_are_the_plotly_maps_and_stable_across_sizes():
    n = 3_000
    big = np.arange(n) % 5
    small = np.where(big == 4, 3, big)  # community 4 merges into 3 at the smaller size
    colours = {}
    for dim, communities in ((64, big), (8, small)):
        pack = map_data.size_pack(dim, map_scene(_coords(n), communities, {}), np.arange(n))
        meta, arrays = map_data.unpack(pack)
        first = {c: np.flatnonzero(communities == c)[0] for c in np.unique(communities).tolist()}
        colours[dim] = {c: meta["palette"][arrays["colour"][row]] for c, row in first.items()}
        assert colours[dim] == group_colours(group_sizes(communities))
    assert all(colours[8][c] == colours[64][c] for c in range(4))


def test_names_are_candidates_of_both_levels_in_plain_text():
    n = 2_000
    fine = np.arange(n) % 4
    coarse = fine // 2
    levels = LabelLevels({0: "a <b>", 1: "b", 2: "c", 3: "d"}, coarse, {0: "left", 1: "right"})
    meta, _ = map_data.unpack(
        map_data.size_pack(32, map_scene(_coords(n), fine, {}, names_on_map=levels), np.arange(n))
    )
    assert {label["level"] for label in meta["labels"]} == {"coarse", "fine"}
    assert ["a <b>"] in [label["lines"] for label in meta["labels"]]


def test_hover_text_is_plain_and_cut():
    texts = ["<script>alert(1)</script> " + "word " * 100]
    lines = hover_lines(texts, ["<b>id</b>"], None, np.array([0]))
    assert lines[0].startswith("<b>id</b>\n<script>")
    assert len(lines[0].split("\n")[1]) == HOVER_CHARS
    meta, arrays = map_data.unpack(map_data.text_pack(np.array([5]), lines))
    assert arrays["rows"].tolist() == [5]
    assert bytes(arrays["text"][arrays["offsets"][0] : arrays["offsets"][1]]).decode() == lines[0]


def test_value_paint_bins_numbers_and_greys_blanks():
    paint = map_data.value_paint(np.array([0.0, 0.5, 1.0, np.nan]), "score")
    bins = map_data.VALUE_BINS
    assert paint.codes.tolist() == [0, bins // 2, bins - 1, bins]
    assert paint.palette[map_data.VALUE_BINS] == map_data.BLANK_COLOUR


def test_standalone_page_inlines_script_and_data_and_fetches_nothing():
    page = standalone_html([map_data.pack({"kind": "texts", "n": 0}, {})], title="<x>")
    assert 'src="dist/map.js"' not in page and "application/x-mge-pack" in page
    assert "default-src 'none'" in page and "<title>&lt;x&gt;</title>" in page


@pytest.mark.parametrize("n", [10, 100_000])
def test_ten_sizes_of_a_corpus_fit_the_budget(n):
    """Ten sizes of 100k points with hover text sent once stay under 12 MB."""
    rows = np.arange(n)
    texts = [f"document {i} about a topic in a few words" for i in range(n)]
    total = len(map_data.text_pack(rows, hover_lines(texts, texts, None, rows)))
    for dim in range(10):
        communities = np.arange(n) % (3 + dim)
        total += len(map_data.size_pack(dim, map_scene(_coords(n, dim), communities, {}), rows))
    assert total < 12e6 * n / 100_000 + 50_000
