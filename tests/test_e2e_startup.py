"""End to end: a page opened the moment the server listens, with empty cache folders."""

from __future__ import annotations

import time

from tests.browser_support import blank_page, needs_browser, port_open, running_app

pytestmark = needs_browser()

# A hung first page never draws; a drawn one takes seconds (the demo's results ship with the
# app), longer while other jobs load the machine's two cores.
DRAWN_WITHIN_S = 120


def test_page_opened_as_the_server_starts_draws_explore(tmp_path):
    # Empty cache folders, as on a new machine.
    env = {"MGE_CACHE_DIR": str(tmp_path / "cache"), "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    # The browser starts first, so the page opens within the server's first second of listening.
    log = tmp_path / "server.log"
    with blank_page() as page, running_app(log, ready=port_open, env=env) as url:
        page.goto(url)
        deadline = time.monotonic() + DRAWN_WITHIN_S
        page.get_by_role("heading", name="Matryoshka Graph Explorer").wait_for(
            timeout=DRAWN_WITHIN_S * 1000
        )
        left_ms = max(1, int((deadline - time.monotonic()) * 1000))
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=left_ms)
