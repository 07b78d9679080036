"""End to end: a newcomer's first session on a new install. The cache folder holds only numba's
kernels, as `bash dev.sh setup` leaves it (no embeddings, no results); a small corpus is
uploaded, "Use these documents" is clicked once, and the Explore page settles (its numbers and
the UMAP map) without waiting for a compile."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from core.runtime.numba_cache import numba_cache_dir
from tests.browser_support import (
    ROOT,
    blank_page,
    choose_documents,
    metric,
    needs_browser,
    port_open,
    running_app,
    use_documents_then_explore,
)

pytestmark = needs_browser()

DOCUMENTS = 400
# The target is 4 s from the click to a settled Explore page (bench/bench_startup.py checks it
# on the benchmark machine); three times that here, for CI runners slower and busier than it.
# A first session that waits for UMAP's or exact search's compile takes 30 s or more.
SETTLED_WITHIN_S = 12.0
TOPICS = {
    "astronomy": "comet telescope orbit nebula galaxy planet star eclipse",
    "gardening": "fern moss compost seedling pruning soil bloom mulch",
    "dance": "tango waltz rhythm partner step ballroom salsa spin",
    "baking": "sourdough crust oven flour proof yeast dough crumb",
}


def _corpus(path) -> None:
    lines = ["text,label"]
    for i in range(DOCUMENTS):
        topic = list(TOPICS)[i % len(TOPICS)]
        words = TOPICS[topic].split()
        picked = " ".join(words[(i * 3 + j) % len(words)] for j in range(5))
        lines.append(f'"note {i} on {topic}: {picked}",{topic}')
    path.write_text("\n".join(lines) + "\n")


def _installed_kernels(cache) -> None:
    """The kernels of this install (`dev.sh` compiles them into its cache folder) copied into
    `cache`, then completed there by the set-up command (quick when nothing is missing)."""
    installed = numba_cache_dir()
    if installed.is_dir():
        shutil.copytree(installed, cache / installed.name)
    env = {**os.environ, "MGE_CACHE_DIR": str(cache)}
    env.pop("NUMBA_CACHE_DIR", None)
    subprocess.run(
        [sys.executable, "-m", "core.schedule.warmup"], cwd=ROOT, env=env, check=True, timeout=900
    )
    assert [p.name for p in cache.iterdir()] == [installed.name]  # kernels, nothing else


def test_first_session_clicks_once_and_settles_without_waiting_for_compiles(tmp_path):
    documents, cache = tmp_path / "notes.csv", tmp_path / "cache"
    _corpus(documents)
    cache.mkdir()
    _installed_kernels(cache)
    env = {"MGE_CACHE_DIR": str(cache), "NUMBA_CACHE_DIR": str(cache / numba_cache_dir().name)}
    with (
        blank_page() as page,
        running_app(tmp_path / "server.log", ready=port_open, env=env) as url,
    ):
        page.goto(url)
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=120_000)
        page.get_by_role("link", name="Corpus & model").click()
        choose_documents(page, documents)
        _, settled = use_documents_then_explore(page, DOCUMENTS, timeout_ms=120_000)
        assert metric(page, "Documents") == f"{DOCUMENTS:,}"
    assert settled <= SETTLED_WITHIN_S, f"Explore settled {settled:.1f} s after the click"
