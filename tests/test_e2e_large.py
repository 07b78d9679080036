"""End to end at size: a generated 20,000-document corpus uploaded in a real browser, and the
slider moved while the UMAP maps are still being computed in the background."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from core.io.corpus import load_demo_corpus
from tests.browser_support import (
    PLOTLY_MAP,
    SLIDER_NAME,
    browser_page,
    explore_map,
    map_plot,
    metric,
    needs_browser,
    running_app,
    step_slider_left,
)

pytestmark = needs_browser()
DOCUMENTS = 20_000


def write_large_corpus(path: Path, n: int = DOCUMENTS, seed: int = 0) -> None:
    """n distinct documents, each three demo documents of one topic joined, labelled by topic."""
    demo = load_demo_corpus()
    rng = np.random.default_rng(seed)
    by_topic: dict[str, list[str]] = {}
    for text, topic in zip(demo.texts, demo.labels, strict=True):
        by_topic.setdefault(topic, []).append(text)
    topics = sorted(by_topic)
    seen: set[str] = set()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "topic"])
        while len(seen) < n:
            topic = topics[int(rng.integers(len(topics)))]
            picked = rng.choice(len(by_topic[topic]), size=3, replace=False)
            text = " ".join(by_topic[topic][i] for i in picked)
            if text not in seen:
                seen.add(text)
                writer.writerow([text, topic])


def test_slider_moves_through_a_20k_corpus_while_maps_are_computed(tmp_path):
    corpus = tmp_path / "large.csv"
    write_large_corpus(corpus)
    with running_app(tmp_path / "server.log") as url, browser_page(url + PLOTLY_MAP) as page:
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=120_000)  # the demo first
        page.get_by_role("link", name="Corpus & model").click()
        page.locator('input[type="file"]').first.set_input_files(str(corpus))
        page.get_by_role("button", name="Use these documents").click(timeout=120_000)
        page.get_by_text("20,000 documents").first.wait_for(timeout=60_000)

        page.get_by_role("link", name="Explore").click()
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=600_000)
        assert metric(page, "Documents") == "20,000"
        background = page.get_by_text(re.compile(r"UMAP maps \d+/\d+"))
        background.wait_for(timeout=60_000)

        # Every size's graph is ready, the maps are not: each step shows its own numbers at once,
        # over the instant PCA map where the UMAP map is not computed yet.
        for dim in (192, 128, 96):
            step_slider_left(page, f"{dim * 4:,}", timeout_ms=60_000)
            maps = re.search(r"UMAP maps (\d+)/(\d+)", background.inner_text())
            ready, total = map(int, maps.groups())
            assert ready < total
        assert (
            page.get_by_role("slider", name=re.compile(SLIDER_NAME)).get_attribute("aria-valuetext")
            == "96"
        )
        recall = float(metric(page, "Mean kNN recall").rstrip("%"))
        assert 0 < recall < 100

        # The size on screen gets its UMAP map next, and it replaces the preview by itself (while
        # a rerun renders, the old note can still be there beside the new one: wait for none)
        page.get_by_text("Showing an instant PCA map").first.wait_for(
            state="detached", timeout=600_000
        )
        explore_map(page, "· 96 of 256 dims", timeout_ms=60_000)
        drawn = map_plot(page)
        assert sum(count for _, count in drawn["traces"]) == DOCUMENTS
        assert drawn["texts"] == DOCUMENTS  # sent once, up to TABLE_HOVER_TEXT_LIMIT
        assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in (tmp_path / "server.log").read_text()
