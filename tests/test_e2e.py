"""End to end: the real app under `streamlit run`, driven by Debian Chromium via Playwright."""

from __future__ import annotations

import re

import pytest

from core.io.corpus import load_demo_corpus
from tests.browser_support import (
    MAP_FRAME,
    PLOTLY_MAP,
    SLIDER_NAME,
    box_zoom_map,
    browser_page,
    download,
    explore_map,
    hover_map_point,
    map_plot,
    metric,
    needs_browser,
    running_app,
    step_slider_left,
    wait_until_every_size_ready,
    wait_until_maps_ready,
)

pytestmark = needs_browser()


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with running_app(log) as url, browser_page(url + PLOTLY_MAP) as tab:
        yield tab


def test_demo_slider_changes_numbers_and_png_downloads(page, tmp_path):
    wait_until_maps_ready(page)  # the demo corpus loads without any upload
    assert metric(page, "Documents") == "360"
    assert metric(page, "Mean kNN recall") == "100.0%"
    slider = page.get_by_role("slider", name=re.compile(SLIDER_NAME))
    assert slider.get_attribute("aria-valuetext") == "256"
    # once every size is ready a step reruns the slider's fragment alone: the plot must stay
    wait_until_every_size_ready(page)
    step_slider_left(page, f"{192 * 4:,}")
    # the hover text, sent once for the corpus, is filled in for the new size's points
    explore_map(page, "· 192 of 256 dims", timeout_ms=60_000)
    row, label = hover_map_point(page)
    demo = load_demo_corpus()
    assert label.startswith(demo.ids[row]), (row, label)
    assert " ".join(demo.texts[row].split()[:4]) in label
    whole = map_plot(page, mark="192")
    zoomed = box_zoom_map(page)
    assert zoomed["x"][1] - zoomed["x"][0] < 0.8 * (whole["x"][1] - whole["x"][0])
    for dim in (128, 96, 64):  # one step at a time: each step reruns the app
        step_slider_left(page, f"{dim * 4:,}")
    assert slider.get_attribute("aria-valuetext") == "64"
    explore_map(page, "· 64 of 256 dims", timeout_ms=60_000)
    drawn = map_plot(page)
    assert drawn["mark"] == "192"  # the same plot was redrawn in place, not mounted anew
    # the zoom carries over between sizes (each size's figure has its own whole-map ranges)
    _assert_same_view(drawn, zoomed)
    assert "64 of 256 dims" in drawn["title"]
    assert len(drawn["traces"]) >= 2  # one trace per community, named by its keywords
    assert sum(count for _, count in drawn["traces"]) == 360 == drawn["texts"]
    assert all(" · " in name for name, _ in drawn["traces"])
    recall = metric(page, "Mean kNN recall")
    assert re.fullmatch(r"\d{1,2}\.\d%", recall), recall
    assert float(recall.rstrip("%")) < 100.0

    file = download(page, "Map PNG")
    assert "64d" in file.suggested_filename and file.suggested_filename.endswith(".png")
    target = tmp_path / file.suggested_filename
    file.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000

    # the view is kept in the tab: a map mounted anew (after another view) starts from it
    views = page.locator('[data-testid="stButtonGroup"] button')
    views.filter(has_text="Communities").click()
    page.locator(MAP_FRAME).wait_for(state="detached", timeout=30_000)
    views.filter(has_text="Map").click()
    explore_map(page, "· 64 of 256 dims", timeout_ms=60_000)
    again = map_plot(page)
    assert again["mark"] is None
    assert again["texts"] == 360  # the new plot asked for the hover text again
    _assert_same_view(again, zoomed)


def _assert_same_view(drawn: dict, zoomed: dict) -> None:
    """The zoomed view, kept: the equal-scale axes may widen one range a little when the legend
    beside the plot changes."""
    for axis in ("x", "y"):
        span = zoomed[axis][1] - zoomed[axis][0]
        assert sum(drawn[axis]) / 2 == pytest.approx(sum(zoomed[axis]) / 2, abs=0.02 * span)
        assert drawn[axis][1] - drawn[axis][0] == pytest.approx(span, rel=0.05)


def test_hostile_upload_shows_error_and_keeps_the_demo(page, tmp_path):
    page.get_by_role("link", name="Corpus & model").click()
    hostile = tmp_path / "hostile.txt"
    hostile.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    page.locator('input[type="file"]').first.set_input_files(str(hostile))  # documents
    error = page.locator('[data-testid="stAlert"]', has_text="binary")
    error.wait_for(timeout=60_000)
    page.get_by_text("Still using").first.wait_for(timeout=30_000)  # the demo is kept
    page.get_by_role("link", name="Explore").click()
    page.get_by_text("Mean kNN recall@").first.wait_for(timeout=120_000)
    assert metric(page, "Documents") == "360"


def test_box_selection_on_the_map_pins_documents(page):
    page.get_by_role("link", name="Pinned documents").click()
    page.get_by_text("Click, box- or lasso-select points").wait_for(timeout=120_000)
    tags = """(n) => document.querySelectorAll(
                 '[data-testid="stMultiSelectTagsContainer"] [data-tag]').length === n"""
    page.wait_for_function(tags, arg=1, timeout=60_000)  # the first document is pinned
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    box = chart.bounding_box()
    x, y = box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + box["width"] * 0.5, y + box["height"] * 0.6, steps=12)
    page.mouse.up()
    button = page.get_by_role("button", name=re.compile(r"Pin the \d+ selected documents"))
    button.wait_for(timeout=60_000)
    picked = int(re.search(r"\d+", button.inner_text()).group())
    button.click()
    page.wait_for_function(tags, arg=1 + picked, timeout=60_000)


def test_deep_link_on_a_fresh_server_hands_over_to_the_entry_point(page, tmp_path):
    # With a pages/ folder, Streamlit runs a page alone until app.py's st.navigation has run
    # once in the process; the page must then hand over instead of failing.
    log = tmp_path / "server.log"
    with running_app(log) as url:
        tab = page.context.new_page()
        tab.goto(f"{url}/pinned")
        tab.get_by_text("Mean kNN recall@").first.wait_for(timeout=120_000)
        assert metric(tab, "Documents") == "360"
        assert tab.locator('[data-testid="stException"]').count() == 0
        tab.close()
    assert "Traceback" not in log.read_text()


# the names drawn on the Explore map (plotly leaves out those outside the zoomed view)
NAME_BOXES = """(frame) => [...document.querySelector(frame).contentDocument
    .querySelectorAll('#map g.annotation .annotation-text')].map((text) => {
      const r = text.getBoundingClientRect();
      return [text.textContent, r.left, r.top, r.right, r.bottom];
    })"""


def test_the_live_map_names_its_communities_apart_and_the_toggle_hides_them(page):
    page.get_by_role("link", name="Explore").click()
    wait_until_maps_ready(page)
    page.frame_locator(MAP_FRAME).locator(".nsewdrag").first.dblclick()  # the whole map
    page.wait_for_function(f"() => ({NAME_BOXES})('{MAP_FRAME}').length >= 3", timeout=60_000)
    boxes = page.evaluate(NAME_BOXES, MAP_FRAME)
    for i, (text_a, *a) in enumerate(boxes):
        for text_b, *b in boxes[i + 1 :]:
            apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
            assert apart, (text_a, text_b)
    page.get_by_text("Names on the map").click()
    page.wait_for_function(f"() => ({NAME_BOXES})('{MAP_FRAME}').length === 0", timeout=60_000)
    page.get_by_text("Names on the map").click()
    page.wait_for_function(f"() => ({NAME_BOXES})('{MAP_FRAME}').length >= 3", timeout=60_000)
