"""End to end: Explore's WebGL map (frontend/map, pages/webgl_map.py) in the real app and
Debian Chromium with software WebGL; the standalone ladder file opened from disk offline."""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.viz import map_data
from core.viz.ladder_html import standalone_html
from core.viz.map_labels import LabelLevels
from core.viz.text import hover_lines
from tests.browser_support import (
    blank_page,
    browser_page,
    metric,
    needs_browser,
    running_app,
    wait_until_every_size_ready,
)
from tests.support import map_scene

pytestmark = needs_browser()

FRAME = 'iframe[title$="webgl_map"]'
HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'


def _map(page):
    """The WebGL map's frame, once it has drawn every size it was sent."""
    page.locator(FRAME).wait_for(timeout=120_000)
    frame = page.frame_locator(FRAME)
    handle = page.locator(FRAME).element_handle().content_frame()
    handle.wait_for_function("window.mgeMap?.debug.frames > 0", timeout=120_000)
    return frame, handle


def _until(page, expression: str, timeout_s: float = 60) -> None:
    """Poll `expression` until true: the standalone file's Content-Security-Policy forbids
    the eval that Playwright's wait_for_function polls with (Runtime.evaluate is allowed)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.05)


def _pixels(frame) -> str:
    return frame.evaluate("mgeMap.ui.canvas.toDataURL()")


def test_map_steps_and_glides_in_the_browser_and_the_server_follows(tmp_path):
    with running_app(tmp_path / "server.log") as url, browser_page(url) as page:
        wait_until_every_size_ready(page)
        _, frame = _map(page)
        frame.wait_for_function("mgeMap.dims.length >= 2 && mgeMap.shown === 256", timeout=120_000)
        assert metric(page, "Bytes per vector") == "1,024"
        before = _pixels(frame)
        glides = frame.evaluate("mgeMap.debug.glideFrames")
        slider = frame.locator('input[type="range"]')
        slider.focus()
        slider.press("ArrowLeft")  # 256 → 192, in the browser
        frame.wait_for_function("mgeMap.debug.glides.length > 0 && !mgeMap.glide")
        assert frame.evaluate("mgeMap.shown") == 192
        assert frame.evaluate("mgeMap.debug.glideFrames") - glides >= 3  # frames between sizes
        assert _pixels(frame) != before
        # the server hears of the size: the numbers above the map follow it
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid="stMetric"]')].some(
                   m => m.innerText.includes('Bytes per vector')
                        && m.innerText.trim().endsWith('768'))""",
            timeout=60_000,
        )
        # a box drawn on the map selects documents, listed by the page under the map
        frame.get_by_role("button", name="Box select").click()
        stage = frame.locator(".stage").bounding_box()  # in the page's coordinates
        x, y = stage["x"], stage["y"]
        page.mouse.move(x + stage["width"] * 0.2, y + stage["height"] * 0.2)
        page.mouse.down()
        page.mouse.move(x + stage["width"] * 0.8, y + stage["height"] * 0.8, steps=8)
        page.mouse.up()
        chosen = frame.evaluate("mgeMap.selection?.length ?? 0")
        assert chosen > 0
        page.get_by_text(f"{chosen:,} documents selected on the map").wait_for(timeout=60_000)


def _standalone(tmp_path, n: int = 3_000) -> str:
    rng = np.random.default_rng(0)
    rows = np.arange(n)
    texts = [f"{HOSTILE} document {i}" for i in range(n)]
    ids = [f"<b>doc {i}</b>" for i in range(n)]
    packs = [
        map_data.text_pack(rows, hover_lines(texts, ids, None, rows), title=HOSTILE),
        map_data.paint_pack(rows),
    ]
    base = rng.normal(0, 4, (n, 2))
    for k, dim in enumerate((256, 64, 16)):
        communities = rows % (8 >> k)
        coords = base * (1 - 0.3 * k) + communities[:, None] * k
        names = {c: f"{HOSTILE} topic {c}" for c in range(8)}
        packs.append(
            map_data.size_pack(
                dim, map_scene(coords, communities, names, names_on_map=LabelLevels(names)), rows
            )
        )
    path = tmp_path / "ladder.html"
    path.write_text(standalone_html(packs), encoding="utf-8")
    return path.as_uri()


def test_standalone_ladder_draws_steps_and_hovers_offline_with_text_kept_as_text(tmp_path):
    uri = _standalone(tmp_path)
    with blank_page() as page:
        fetched = []

        def block(route):
            fetched.append(route.request.url)
            if route.request.url == uri:
                route.continue_()
            else:
                route.abort()

        page.route("**/*", block)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(uri)
        _until(page, "window.mgeMap?.ready && mgeMap.debug.frames > 0")
        assert page.evaluate("mgeMap.dims") == [16, 64, 256]
        before = page.evaluate("mgeMap.ui.canvas.toDataURL()")
        page.locator('input[type="range"]').focus()
        page.keyboard.press("ArrowLeft")
        _until(page, "mgeMap.debug.glides.length > 0 && !mgeMap.glide")
        assert page.evaluate("mgeMap.shown") == 64
        assert page.evaluate("mgeMap.ui.canvas.toDataURL()") != before
        # hover the point nearest the middle of the map: its text shows as text
        point = page.evaluate(
            """() => { const p = mgeMap.screenPoints();
                 const r = mgeMap.ui.stage.getBoundingClientRect();
                 let best = 0, gap = Infinity;
                 for (let i = 0; i < p.length / 2; i++) {
                   const d = (p[2*i] - r.width / 2) ** 2 + (p[2*i+1] - r.height / 2) ** 2;
                   if (d < gap) { gap = d; best = i; } }
                 return [r.left + p[2*best], r.top + p[2*best+1]]; }"""
        )
        page.mouse.move(*point, steps=3)
        tip = page.locator(".tip")
        tip.wait_for(state="visible", timeout=10_000)
        assert HOSTILE in tip.text_content() and "<b>doc" in tip.text_content()
        assert page.locator(".tip img, .tip script, .label img, .title img").count() == 0
        assert HOSTILE in page.locator(".title").text_content()
        assert page.evaluate("window.pwned ?? null") is None
        assert fetched == [uri] and not errors


@pytest.mark.parametrize("points", [2_000])
def test_glide_draws_frames_between_sizes(tmp_path, points):
    uri = _standalone(tmp_path, points)
    with blank_page() as page:
        page.goto(uri)
        _until(page, "window.mgeMap?.ready && mgeMap.debug.frames > 0")
        page.evaluate("mgeMap.step(16)")
        page.wait_for_timeout(200)
        middle = page.evaluate("mgeMap.glide && mgeMap.glide.frames")
        _until(page, "mgeMap.debug.glides.length > 0 && !mgeMap.glide")
        glide = page.evaluate("mgeMap.debug.glides[0]")
        assert middle and glide["frames"] >= 3


def test_without_webgl2_explore_draws_the_plotly_map_and_says_why(tmp_path):
    with (
        running_app(tmp_path / "server.log") as url,
        browser_page(url, ("--disable-webgl", "--disable-3d-apis")) as page,
    ):
        page.get_by_text("This browser offers no WebGL2").wait_for(timeout=120_000)
        page.locator(".js-plotly-plot, iframe[title$='map_view']").first.wait_for(timeout=120_000)
        page.locator(FRAME).wait_for(state="detached", timeout=30_000)  # gave way to plotly's
