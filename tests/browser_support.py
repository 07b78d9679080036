"""Start the real app with `streamlit run` and drive it with Debian's Chromium (tests, bench)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"


def needs_browser() -> list:
    """The marks of a module of real-browser tests (its `pytestmark`): marked `browser`, and
    skipped without Debian's Chromium."""
    import pytest

    return [
        pytest.mark.browser,
        pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package"),
    ]


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SLIDER_NAME = "Embedding dimension"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(
    log: Path,
    startup_seconds: float = 120,
    *,
    ready: Callable[[str], bool] | None = None,
    env: dict[str, str] | None = None,
    app: Path = ROOT / "app.py",
) -> Iterator[str]:
    """`streamlit run app.py` (or another `app` script, run from its folder) on a free loopback
    port, offline, with `env` added to this process's environment; yields its URL once
    `ready(url)` (default: the health check answers)."""
    port = free_port()
    ready = ready or _healthy
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **(env or {})}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        app.name,
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(
            command, cwd=app.parent, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while not ready(url):
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        print(f"--- streamlit server log (tail) ---\n{log.read_text(errors='replace')[-4000:]}")


def port_open(url: str) -> bool:
    """Whether the server's port accepts connections: it does a moment before the app is
    ready to serve, as a user's browser may find it."""
    address = urllib.parse.urlsplit(url)
    try:
        with socket.create_connection((address.hostname, address.port), timeout=0.05):
            return True
    except OSError:
        return False


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def blank_page(extra_args: tuple[str, ...] = ()) -> Iterator:
    """A Playwright page in headless Debian Chromium (with `extra_args` on its command line),
    not opened anywhere yet."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])
        context = browser.new_context(
            viewport={"width": 1400, "height": 1600}, accept_downloads=True
        )
        try:
            yield context.new_page()
        finally:
            browser.close()


@contextlib.contextmanager
def browser_page(url: str, extra_args: tuple[str, ...] = ()) -> Iterator:
    """A Playwright page in headless Debian Chromium, opened at url."""
    with blank_page(extra_args) as page:
        page.goto(url)
        yield page


def metric(page, label: str) -> str:
    """The value shown by the st.metric whose label contains `label`."""
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


MAP_FRAME = 'iframe[title$="map_view"]'  # the Explore map's component (pages/map_view.py)
# The Explore page's query asking for the plotly map (pages/map_view.py, drawn where WebGL2 is
# missing) rather than the WebGL map: the helpers below drive the plotly one.
PLOTLY_MAP = "/?map=plotly"
WEBGL_FRAME = 'iframe[title$="webgl_map"]'


def explore_map(page, title: str = "", timeout_ms: int = 300_000) -> None:
    """Wait until the Explore map's frame (same origin, so readable from the page) has drawn a
    plotly map whose title contains `title`, or, with no title asked for, the WebGL map has
    drawn a frame."""
    page.wait_for_function(
        """([frame, webgl, title]) =>
             [...document.querySelectorAll(frame)].some(f =>
                 [...(f.contentDocument?.querySelectorAll('#map .gtitle') ?? [])]
                     .some(t => t.textContent.includes(title)))
             || (!title && [...document.querySelectorAll(webgl)].some(f =>
                 (f.contentWindow?.mgeMap?.debug?.frames ?? 0) > 0))""",
        arg=[MAP_FRAME, WEBGL_FRAME, title],
        timeout=timeout_ms,
    )


def map_plot(page, mark: str | None = None) -> dict:
    """The Explore map's plot as drawn: its mark (first set to `mark` if given; a plot mounted
    anew has none), title, per trace the name and point count, the count of points with hover
    text, and the axes' ranges."""
    return page.evaluate(
        """([frame, mark]) => {
            const plot = document.querySelector(frame).contentDocument.getElementById('map');
            if (mark !== null) plot.dataset.mark = mark;
            return {mark: plot.dataset.mark ?? null,
                    title: plot.querySelector('.gtitle')?.textContent ?? '',
                    traces: plot._fullData.map(t => [t.name, t.x.length]),
                    texts: plot._fullData.reduce(
                        (n, t) => n + (Array.isArray(t.text)
                            ? t.text.filter(s => s.length > 0).length : 0), 0),
                    x: plot._fullLayout.xaxis.range, y: plot._fullLayout.yaxis.range};
        }""",
        [MAP_FRAME, mark],
    )


def hover_map_point(page, timeout_ms: int = 30_000) -> tuple[int, str]:
    """Move the mouse onto a point of the Explore map (the point nearest the middle of the view)
    and return its row (customdata) and the hover label's text."""
    point = page.evaluate(
        """(frame) => {
            const plot = document.querySelector(frame).contentDocument.getElementById('map');
            const {xaxis, yaxis} = plot._fullLayout;
            const [x, y] = [xaxis, yaxis].map(a => a._offset + a._length / 2);
            let best = null;
            for (const trace of plot._fullData) {
                trace.x.forEach((_, i) => {
                    const at = {x: xaxis._offset + xaxis.l2p(trace.x[i]),
                                y: yaxis._offset + yaxis.l2p(trace.y[i]),
                                row: trace.customdata[i]};
                    at.gap = (at.x - x) ** 2 + (at.y - y) ** 2;
                    if (best === null || at.gap < best.gap) best = at;
                });
            }
            return best;
        }""",
        MAP_FRAME,
    )
    box = page.locator(MAP_FRAME).bounding_box()
    page.mouse.move(box["x"] + point["x"], box["y"] + point["y"], steps=4)
    label = page.frame_locator(MAP_FRAME).locator(".hoverlayer .hovertext").first
    label.wait_for(timeout=timeout_ms)
    return point["row"], label.text_content()


def box_zoom_map(page, timeout_ms: int = 30_000) -> dict:
    """Drag a box over the middle of the Explore map (plotly's default drag zooms) and return
    the plot (as map_plot) once its ranges have changed."""
    before = map_plot(page)
    box = page.locator(MAP_FRAME).bounding_box()
    x, y = box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.35
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + box["width"] * 0.3, y + box["height"] * 0.3, steps=10)
    page.mouse.up()
    page.wait_for_function(
        """([frame, x]) => {
            const plot = document.querySelector(frame).contentDocument.getElementById('map');
            return plot._fullLayout.xaxis.range[0] !== x;
        }""",
        arg=[MAP_FRAME, before["x"][0]],
        timeout=timeout_ms,
    )
    return map_plot(page)


def wait_until_maps_ready(page, timeout_ms: int = 300_000) -> None:
    """Wait for the Explore page's numbers and for the UMAP maps (the PCA preview note gone)."""
    page.get_by_text("Mean kNN recall@").first.wait_for(timeout=timeout_ms)
    # The map comes after the PCA-preview note in the page, so once it is drawn the note's
    # absence means the UMAP maps are there.
    explore_map(page, timeout_ms=timeout_ms)
    page.get_by_text("Showing an instant PCA map").first.wait_for(
        state="detached", timeout=timeout_ms
    )


def choose_documents(page, file: Path, timeout_ms: int = 120_000) -> None:
    """On the Corpus & model page, upload `file` as the documents and wait until the server
    has read it: the "Use these documents" button is shown."""
    picker = page.locator('[data-testid="stFileUploader"]', has_text="Or upload documents")
    picker.locator('input[type="file"]').set_input_files(str(file))
    page.get_by_role("button", name="Use these documents").wait_for(timeout=timeout_ms)


def use_documents_then_explore(
    page, documents: int, timeout_ms: int = 300_000
) -> tuple[float, float]:
    """Click "Use these documents" once, wait until the page names the new corpus, open the
    Explore page and wait until it shows its numbers and a map, then until it has settled
    (wait_until_maps_ready: the UMAP map in place of the PCA preview); return the seconds from
    the click to each."""
    clicked = time.monotonic()
    page.get_by_role("button", name="Use these documents").click()
    page.get_by_text(f"· {documents:,} documents").first.wait_for(timeout=timeout_ms)
    page.get_by_role("link", name="Explore").click()
    page.get_by_text("Mean kNN recall@").first.wait_for(timeout=timeout_ms)
    explore_map(page, timeout_ms=timeout_ms)
    shown = time.monotonic() - clicked
    wait_until_maps_ready(page, timeout_ms=timeout_ms)
    return shown, time.monotonic() - clicked


def wait_until_every_size_ready(page, timeout_ms: int = 300_000, quiet_ms: int = 3_000) -> None:
    """Wait until the Explore page's "Computing in the background" line has been gone for
    `quiet_ms`: it also leaves the page for a moment while a finished size redraws the page."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    line = page.get_by_text("Computing in the background")
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left = max(1, int((deadline - time.monotonic()) * 1000))
        line.first.wait_for(state="detached", timeout=left)
        try:
            line.first.wait_for(state="attached", timeout=quiet_ms)
        except PlaywrightTimeout:
            return


def step_slider_left(page, expected_bytes: str, timeout_ms: int = 60_000) -> None:
    """Press ArrowLeft on the dimension slider and wait until the page shows the new size."""
    import re

    # While a rerun renders, the previous run's slider can still be in the page: wait for one.
    page.wait_for_function(
        "(name) => document.querySelectorAll(`input[aria-label^='${name}']`).length === 1",
        arg=SLIDER_NAME,
        timeout=timeout_ms,
    )
    page.get_by_role("slider", name=re.compile(SLIDER_NAME)).focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        """(bytes) => [...document.querySelectorAll('[data-testid="stMetric"]')]
                 .some(m => m.innerText.includes('Bytes per vector')
                       && m.innerText.trim().endsWith(bytes))""",
        arg=expected_bytes,
        timeout=timeout_ms,
    )


def download(page, button: str, attempts: int = 3, timeout_ms: int = 60_000):
    """Click a download button and return the Playwright download.

    A click that lands while the app is still rerunning hits the previous run's button, whose
    deferred file Streamlit has already dropped; such a click yields no download, so retry.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(attempts):
        try:
            with page.expect_download(timeout=timeout_ms) as info:
                page.get_by_role("button", name=button).click()
            return info.value
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
