"""Three visitors on one server: two upload a different 100,000-document corpus each and open
Explore, and while both are being computed a third opens a million-document project from the
server's projects folder. Samples the server's process tree (RSS and PSS) twice a second and
records what each visitor was shown; writes bench/results/memory_scene.json.

The corpora are real docstrings (bench/docstring_corpus.py, seeds 0 and 1, so the two corpora
share no fingerprint and nothing is computed once for both); the project is one written by
bench/bench_million.py (pass its folder with --project).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import docstring_corpus  # noqa: E402
from process_tree import GB, tree_memory  # noqa: E402
from scale_browser import _upload_file, server_pid  # noqa: E402

from core.runtime.limits import MAX_DOCUMENTS_ENV, PROJECTS_DIR_ENV  # noqa: E402
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: E402

ALERT = '[data-testid="stAlert"]'


class TreeSampler:
    """Peak and timeline of the server tree's memory, sampled on a thread."""

    def __init__(self, pid: int, start: float) -> None:
        self.root, self.start = psutil.Process(pid), start
        self.peak_rss = self.peak_pss = 0
        self.timeline: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            try:
                pss, rss, _ = tree_memory(self.root)
            except psutil.NoSuchProcess:
                return
            self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)
            self.timeline.append((round(time.perf_counter() - self.start, 1), round(rss / GB, 2)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def _visitor(browser, url: str):
    page = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
    page.goto(url)
    page.get_by_text("Mean kNN recall@").first.wait_for(timeout=300_000)  # the demo
    page.get_by_role("link", name="Corpus & model").click()
    return page


def _upload_corpus(page, upload: Path, n: int) -> None:
    page.locator('input[type="file"]').first.set_input_files(str(upload))
    page.get_by_role("button", name="Use these documents").click(timeout=600_000)
    page.get_by_text(f"· {n:,} documents").first.wait_for(timeout=600_000)
    page.get_by_role("link", name="Explore").click()


def _open_project(page, timeout_ms: int) -> tuple[str, float]:
    """What the visitor is told on opening the server's project, and after how long."""
    start = time.perf_counter()
    page.get_by_role("button", name="Open this project").click()
    told = page.locator(ALERT).filter(has_text=re.compile("project|busy|memory", re.I)).first
    told.wait_for(timeout=timeout_ms)
    return told.inner_text().strip()[:300], round(time.perf_counter() - start, 1)


def _explore_state(page) -> str:
    """The Explore page's state in a few words: every size computed, the first size shown while
    the rest are computed, nothing shown yet, or an error."""
    errors = page.locator(ALERT, has_text="failed")
    if errors.count():
        return "error: " + errors.first.inner_text()[:200]
    if not page.get_by_text("Mean kNN recall@").count():
        return "computing"
    if page.get_by_text("Computing in the background").count():
        return "first size shown"
    return "every size computed"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", type=Path, required=True, help="a million-document project")
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--corpora", type=Path, default=HERE / "results" / "corpora")
    parser.add_argument("--csv", type=Path, nargs=2, help="two corpus CSVs to use")
    parser.add_argument("--minutes", type=float, default=20, help="how long to follow the scene")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "memory_scene.json")
    args = parser.parse_args()

    csvs = args.csv or [
        docstring_corpus.corpora([args.docs], args.corpora, seed=s)[0][args.docs] for s in (0, 1)
    ]
    os.environ[PROJECTS_DIR_ENV] = str(args.project.parent)
    os.environ[MAX_DOCUMENTS_ENV] = str(1_000_000)
    from playwright.sync_api import sync_playwright

    report: dict = {"docs": args.docs, "project": str(args.project), "events": []}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        uploads = [_upload_file(c, Path(tmp)) for c in csvs]
        log = Path(tmp) / "server.log"
        with running_app(log, startup_seconds=300) as url:
            start = time.perf_counter()
            sampler = TreeSampler(server_pid(), start)
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

            def event(what: str) -> None:
                at = round(time.perf_counter() - start, 1)
                report["events"].append((at, what))
                print(f"{at:7.1f} s  {what}", flush=True)

            first, second = (_visitor(browser, url) for _ in range(2))
            event(f"two visitors on the Corpus page, server tree {sampler.peak_rss / GB:.2f} GB")
            _upload_corpus(first, uploads[0], args.docs)
            event("visitor 1 chose its 100k corpus")
            _upload_corpus(second, uploads[1], args.docs)
            event("visitor 2 chose its 100k corpus")
            third = _visitor(browser, url)
            told, seconds = _open_project(third, timeout_ms=1_800_000)
            event(f"visitor 3 opened the 1M project after {seconds} s: {told}")
            report["third_visitor"] = {"told": told, "seconds": seconds}
            deadline = start + args.minutes * 60
            while time.perf_counter() < deadline:
                states = [_explore_state(page) for page in (first, second)]
                if all(s == "every size computed" or s.startswith("error") for s in states):
                    break
                time.sleep(10)
            event(f"visitors 1 and 2: {states}, server tree peak {sampler.peak_rss / GB:.2f} GB")
            report["visitors"] = states
            alive = psutil.pid_exists(sampler.root.pid)
            sampler.stop()
            browser.close()
        text = log.read_text(errors="replace")
    report |= {
        "server_alive": alive,
        "peak_rss_gb": round(sampler.peak_rss / GB, 2),
        "peak_pss_gb": round(sampler.peak_pss / GB, 2),
        "result_cache_mb": os.environ.get("MGE_RESULT_CACHE_MB", "default"),
        "tracebacks_in_log": text.count("Traceback"),
        "timeline": sampler.timeline,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "timeline"}, indent=1))


if __name__ == "__main__":
    main()
