"""A million documents from precomputed vectors through the CLI, on one machine.

Generates 1,000,000 × 256 float32 vectors with a planted two-level cluster structure (20 topics
of 10 subtopics, variance falling along the dimensions as in a Matryoshka embedding) and a
matching CSV of short texts, then runs `python -m core … --vectors … --ladder 256,64,16
--project …` in a fresh process, sampling the memory of its process tree. Then (unless
--no-app) the app, in headless Chromium, opens that project from its projects folder, shows the
Explore page and steps the slider once, with screenshots. Prints the times, the peak memory, the
stage the CLI reported at each moment and what the project holds; writes
bench/results/million.json. The generated files are cached under bench/results/million/.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from process_tree import GB, run_measured  # noqa: E402
from scale_browser import server_pid  # noqa: E402
from scale_workers import peak_rss  # noqa: E402

from core.runtime.limits import MAX_DOCUMENTS_ENV, PROJECTS_DIR_ENV  # noqa: E402
from core.runtime.numba_cache import numba_cache_dir  # noqa: E402

TOPICS, SUBTOPICS = 20, 10
_SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "vo", "pe", "du", "ga", "zi"]


def _word(i: int) -> str:
    """A pronounceable made-up word per index, so c-TF-IDF has words to name topics with."""
    a, b, c = i % 12, (i // 12) % 12, (i // 144) % 12
    return _SYLLABLES[a] + _SYLLABLES[b] + _SYLLABLES[c]


def generate(n: int, dim: int, folder: Path, chunk: int = 100_000) -> tuple[Path, Path]:
    """(corpus.csv, vectors.npy) of n documents, written in chunks so memory stays small."""
    folder.mkdir(parents=True, exist_ok=True)
    corpus, vectors = folder / f"corpus_{n}.csv", folder / f"vectors_{n}x{dim}.npy"
    if corpus.exists() and vectors.exists():
        return corpus, vectors
    rng = np.random.default_rng(0)
    spectrum = (np.arange(dim) + 1.0) ** -0.5  # early dimensions carry the most variance
    topics = rng.normal(size=(TOPICS, dim)) * spectrum
    subtopics = topics[:, None, :] + 0.6 * rng.normal(size=(TOPICS, SUBTOPICS, dim)) * spectrum
    out = np.lib.format.open_memmap(vectors, mode="w+", dtype=np.float32, shape=(n, dim))
    with corpus.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for start in range(0, n, chunk):
            rows = np.arange(start, min(n, start + chunk))
            topic = rng.integers(0, TOPICS, len(rows))
            sub = rng.integers(0, SUBTOPICS, len(rows))
            noise = 0.8 * rng.normal(size=(len(rows), dim)) * spectrum
            out[rows] = (subtopics[topic, sub] + noise).astype(np.float32)
            writer.writerows(
                (f"{_word(t)} {_word(100 + 10 * t + s)} record {r}", _word(t))
                for r, t, s in zip(rows.tolist(), topic.tolist(), sub.tolist(), strict=True)
            )
    out.flush()
    return corpus, vectors


def open_in_app(project: Path, docs: int, shots: Path) -> dict:
    """Seconds from "Open this project" to the message that it is open and to the Explore
    page's numbers and map; one slider step; the server's peak RSS. Screenshots go to `shots`."""
    from tests.browser_support import (
        PLOTLY_MAP,
        browser_page,
        explore_map,
        metric,
        running_app,
        step_slider_left,
    )

    os.environ[PROJECTS_DIR_ENV] = str(project.parent)
    os.environ[MAX_DOCUMENTS_ENV] = str(docs)
    shots.mkdir(parents=True, exist_ok=True)
    timeout = 1_800_000
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_app(Path(tmp) / "server.log") as url,
        browser_page(url + PLOTLY_MAP) as page,
    ):
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=timeout)  # the demo
        page.get_by_role("link", name="Corpus & model").click()
        start = time.perf_counter()
        page.get_by_role("button", name="Open this project").click()
        page.get_by_text("Opened the project").wait_for(timeout=timeout)
        opened = time.perf_counter() - start
        page.get_by_role("link", name="Explore").click()
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=timeout)
        explore_map(page, timeout_ms=timeout)
        shown = time.perf_counter() - start
        if metric(page, "Documents") != f"{docs:,}":
            raise SystemExit(f"the Explore page shows {metric(page, 'Documents')} documents")
        page.wait_for_timeout(3_000)  # let WebGL draw before the picture
        page.screenshot(path=str(shots / "million-explore-256.png"))
        pressed = time.perf_counter()
        step_slider_left(page, f"{64 * 4:,}", timeout_ms=timeout)
        step = time.perf_counter() - pressed
        page.wait_for_timeout(3_000)
        page.screenshot(path=str(shots / "million-explore-64.png"))
        server = peak_rss(server_pid())
        log = (Path(tmp) / "server.log").read_text(errors="replace")
    if "Traceback" in log:
        raise SystemExit(f"the app failed:\n{log[-3000:]}")
    return {
        "app_open_s": round(opened, 1),
        "app_explore_s": round(shown, 1),
        "app_slider_step_s": round(step, 2),
        "app_server_peak_rss_gb": round(server / GB, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=256)
    parser.add_argument("--ladder", default="256,64,16")
    parser.add_argument("--project", type=Path, default=HERE / "results" / "million" / "project")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "million.json")
    parser.add_argument("--shots", type=Path, default=HERE / "results" / "million" / "shots")
    parser.add_argument("--no-app", action="store_true", help="skip opening the project in the app")
    parser.add_argument("--app-only", action="store_true", help="only open --project in the app")
    args = parser.parse_args()
    if args.app_only:
        print(json.dumps(open_in_app(args.project, args.docs, args.shots), indent=1))
        return
    corpus, vectors = generate(args.docs, args.dim, HERE / "results" / "million")
    numba_cache = ROOT / ".cache" / "mge" / numba_cache_dir().name
    numba_cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mge-bench-million-") as tmp:
        cache = Path(tmp) / "cache"
        cache.mkdir()
        (cache / numba_cache.name).symlink_to(numba_cache)
        command = [sys.executable, "-m", "core", str(corpus), "--text-column", "text"]
        command += ["--label-column", "label", "--vectors", str(vectors), "--vectors-matryoshka"]
        command += ["--ladder", args.ladder, "--formats", "none", "--out", str(Path(tmp) / "out")]
        command += ["--project", str(args.project)]
        env = {**os.environ, "MGE_CACHE_DIR": str(cache), "MGE_MAX_DOCUMENTS": str(args.docs)}
        run = run_measured(command, env, ROOT)
        if run.returncode:
            raise SystemExit(f"the CLI failed:\n{run.stderr[-3000:]}")
        files = sorted(p.name for p in (Path(tmp) / "out").iterdir())
    manifest = json.loads((args.project / "manifest.json").read_text())
    project_bytes = sum(p.stat().st_size for p in args.project.iterdir())
    result = {
        "docs": args.docs,
        "dim": args.dim,
        "ladder": args.ladder,
        "seconds": round(run.seconds, 1),
        "peak_rss_sum_gb": round(run.peak_rss / GB, 2),
        "peak_pss_gb": round(run.peak_pss / GB, 2),
        "stages": run.stages,
        "files": files,
        "project_gb": round(project_bytes / GB, 2),
        "project_dims": manifest["dims"],
        "answer": run.stdout.strip().splitlines()[0],
    }
    if not args.no_app:
        result.update(open_in_app(args.project, args.docs, args.shots))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
