"""End to end: Explore's Colour by and Find on the map in the real app and Debian Chromium."""

from __future__ import annotations

import re

import pytest

from tests.browser_support import (
    MAP_FRAME,
    PLOTLY_MAP,
    SLIDER_NAME,
    box_zoom_map,
    browser_page,
    explore_map,
    map_plot,
    needs_browser,
    running_app,
    step_slider_left,
    wait_until_every_size_ready,
    wait_until_maps_ready,
)

pytestmark = needs_browser()

# per trace as drawn: name, points, whether it is the highlight's, its opacity; and the legend's
# title
DRAWN = """(frame) => {
    const plot = document.querySelector(frame).contentDocument.getElementById('map');
    return {traces: plot._fullData.map(t => [t.name, t.x.length, t.meta === 'highlight',
                                             t.opacity]),
            legend: plot._fullLayout.legend.title.text,
            title: plot._fullLayout.title.text};
}"""


def _drawn(page) -> dict:
    return page.evaluate(DRAWN, MAP_FRAME)


def _wait_for_legend(page, title: str) -> None:
    page.wait_for_function(
        """([frame, title]) => document.querySelector(frame)?.contentDocument
                 ?.getElementById('map')?._fullLayout?.legend?.title?.text === title""",
        arg=[MAP_FRAME, title],
        timeout=60_000,
    )


def test_find_highlights_documents_and_colour_by_label_follows_every_size(tmp_path):
    log = tmp_path / "server.log"
    with running_app(log) as url, browser_page(url + PLOTLY_MAP) as page:
        page.set_viewport_size({"width": 1400, "height": 1300})
        wait_until_maps_ready(page)
        wait_until_every_size_ready(page)

        find = page.get_by_role("textbox", name="Find on the map")
        find.fill("tennis")
        find.press("Enter")
        page.get_by_text("30 of 360 documents contain").first.wait_for(timeout=60_000)
        page.wait_for_function(
            """(frame) => document.querySelector(frame).contentDocument.getElementById('map')
                     ._fullData.some(t => t.meta === 'highlight')""",
            arg=MAP_FRAME,
            timeout=60_000,
        )
        drawn = _drawn(page)
        found = [t for t in drawn["traces"] if t[2]]
        assert sum(points for _, points, _, _ in found) == 30
        assert all(opacity < 1 for _, _, top, opacity in drawn["traces"] if not top)
        assert drawn["legend"] == "community"

        zoomed = box_zoom_map(page)
        page.locator('[data-testid="stSelectbox"]', has_text="Colour by").click()
        page.get_by_role("option", name="topic", exact=True).click()
        _wait_for_legend(page, "topic")
        # another colouring of the same map keeps the user's zoom: the same centre, and one
        # axis's span (the equal-scale axes widen the other when the legend's width changes)
        kept = map_plot(page)
        spans = []
        for axis in ("x", "y"):
            span = zoomed[axis][1] - zoomed[axis][0]
            assert sum(kept[axis]) / 2 == pytest.approx(sum(zoomed[axis]) / 2, abs=0.02 * span)
            spans.append((kept[axis][1] - kept[axis][0]) / span)
        assert min(spans) == pytest.approx(1.0, abs=0.02) and max(spans) < 1.3
        drawn = _drawn(page)
        names = {name for name, _, top, _ in drawn["traces"] if not top}
        assert {"tennis", "football", "galaxies", "compilers"} <= names and len(names) == 12
        assert sum(points for _, points, top, _ in drawn["traces"] if top) == 30
        page.get_by_text("kNN purity@10 (topic)").first.wait_for(timeout=30_000)

        for dim in (192, 128, 96, 64, 48, 32):  # the choice and the search stay with each size
            step_slider_left(page, f"{dim * 4:,}")
        explore_map(page, "· 32 of 256 dims", timeout_ms=60_000)
        _wait_for_legend(page, "topic")
        drawn = _drawn(page)
        assert sum(points for _, points, top, _ in drawn["traces"] if top) == 30
        slider = page.get_by_role("slider", name=re.compile(SLIDER_NAME))
        assert slider.get_attribute("aria-valuetext") == "32"
        page.get_by_text("30 of 360 documents contain").first.wait_for(timeout=30_000)
        page.locator('[data-testid="stMetric"]', has_text="kNN purity").first.wait_for()
        delta = page.locator('[data-testid="stMetric"]', has_text="kNN purity").first
        assert "vs 256d" in delta.inner_text()
        page.screenshot(path=str(tmp_path / "explore-colour-find.png"), full_page=True)
    assert "Traceback" not in log.read_text()
