"""End to end: the real app under `streamlit run`, driven by Debian Chromium via Playwright."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 120
FIRST_VIEW_MS = 300_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium package"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """Start `streamlit run app.py` on a free loopback port; stop it afterwards."""
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"streamlit did not start:\n{log.read_text()[-3000:]}")
    yield url
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1400, "height": 1600}, accept_downloads=True
        )
        tab = context.new_page()
        tab.goto(app_url)
        yield tab
        browser.close()


def _metric(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_demo_slider_changes_numbers_and_png_downloads(page, tmp_path):
    # The demo corpus loads without any upload; wait until the UMAP maps are ready.
    page.get_by_text("Mean kNN recall@10").first.wait_for(timeout=FIRST_VIEW_MS)
    page.get_by_text("Showing an instant PCA map").wait_for(state="detached", timeout=FIRST_VIEW_MS)
    assert _metric(page, "Documents") == "360"
    assert _metric(page, "Mean kNN recall") == "100.0%"

    slider = page.get_by_role("slider", name=re.compile("Embedding dimension"))
    assert slider.get_attribute("aria-valuetext") == "256"
    for dim in (192, 128, 96, 64):  # one step at a time: each step reruns the app
        slider.focus()
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(
            """(bytes) => [...document.querySelectorAll('[data-testid="stMetric"]')]
                     .some(m => m.innerText.includes('Bytes per vector')
                           && m.innerText.trim().endsWith(bytes))""",
            arg=f"{dim * 4:,}",
            timeout=60_000,
        )
    assert slider.get_attribute("aria-valuetext") == "64"
    recall = _metric(page, "Mean kNN recall")
    assert re.fullmatch(r"\d{1,2}\.\d%", recall), recall
    assert _metric(page, "Bytes per vector") == "256"  # 64 dims × 4 bytes
    assert float(recall.rstrip("%")) < 100.0

    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Map PNG").click()
    download = info.value
    assert "64d" in download.suggested_filename and download.suggested_filename.endswith(".png")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 20_000
