"""App start-up in real Chromium, median of N starts of each:

- a bare Streamlit app (one heading, the app's own .streamlit/config.toml): from `streamlit run`
  (process start) to its heading drawn, the yardstick of the next two;
- this app: from `streamlit run` to the first page drawn (the app's heading) and to the demo
  corpus's map drawn on the Explore page;
- a first session: a CSV of documents uploaded on the Corpus & model page, "Use these documents"
  clicked once, the Explore page opened; seconds from the click until Explore has settled (its
  numbers, and the UMAP map drawn in place of the instant PCA preview).

`--fresh` gives every start of the app empty cache folders. The first session always starts
from an empty cache folder (no embeddings, no results), with numba's kernels as `bash dev.sh
setup` leaves them (`--kernels install`: compiled once beforehand by `python -m
core.schedule.warmup`, not timed) or with no kernels at all (`--kernels none`).

    python bench/bench_startup.py [--runs 3] [--fresh] [--kernels install|none] [--csv FILE]

Without --csv the first session uploads 1,920 docstring passages (bench/docstring_corpus.py).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repo root

from core.runtime.machine import description  # noqa: E402
from core.runtime.numba_cache import numba_cache_dir  # noqa: E402
from tests.browser_support import (  # noqa: E402
    ROOT,
    blank_page,
    choose_documents,
    explore_map,
    port_open,
    running_app,
    use_documents_then_explore,
)

TIMEOUT_S = 300
HEADING = "Matryoshka Graph Explorer"
BARE_APP = 'import streamlit as st\n\nst.title("A bare app")\n'


def first_page_of(app: Path, heading: str, env: dict[str, str], log: Path) -> float:
    """Seconds from `streamlit run` to the heading of `app`'s first page drawn."""
    with blank_page() as page:
        started = time.monotonic()
        with running_app(log, ready=port_open, env=env, app=app) as url:
            page.goto(url)
            page.get_by_role("heading", name=heading).wait_for(timeout=TIMEOUT_S * 1000)
            return time.monotonic() - started


def one_start(env: dict[str, str], log: Path) -> tuple[float, float]:
    """Seconds from process start to the first page and to the demo map."""
    with blank_page() as page:
        started = time.monotonic()
        with running_app(log, ready=port_open, env=env) as url:
            page.goto(url)  # the WebGL map, as a visitor's browser with WebGL2 draws it
            page.get_by_role("heading", name=HEADING).wait_for(timeout=TIMEOUT_S * 1000)
            first_page = time.monotonic() - started
            explore_map(page, timeout_ms=TIMEOUT_S * 1000)
            demo_map = time.monotonic() - started
    return first_page, demo_map


def first_session(env: dict[str, str], documents: Path, n: int, log: Path) -> tuple[float, float]:
    """Seconds from the click on "Use these documents" to the Explore page's numbers and a map
    (the PCA preview, or already UMAP's), and to Explore settled; the file is chosen as soon as
    the server has drawn the first page."""
    timeout_ms = TIMEOUT_S * 1000
    with blank_page() as page, running_app(log, ready=port_open, env=env) as url:
        page.goto(url)
        page.get_by_text("Mean kNN recall@").first.wait_for(timeout=timeout_ms)
        page.get_by_role("link", name="Corpus & model").click()
        choose_documents(page, documents, timeout_ms=timeout_ms)
        return use_documents_then_explore(page, n, timeout_ms=timeout_ms)


def _docstrings(folder: Path) -> tuple[Path, int]:
    """1,920 docstring passages as a CSV of text and label."""
    sys.path.insert(0, str(ROOT / "bench"))
    import docstring_corpus

    paths, _ = docstring_corpus.corpora([1920], ROOT / "bench" / "results")
    target = folder / "docstrings-1920.csv"
    with paths[1920].open(newline="", encoding="utf-8") as src, target.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        writer.writerows((row["text"], row["label"]) for row in csv.DictReader(src))
    return target, 1920


def _rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def _compiled_kernels(folder: Path) -> Path:
    """numba's kernels compiled as `bash dev.sh setup` compiles them, into `folder`."""
    env = {**os.environ, "MGE_CACHE_DIR": str(folder)}
    subprocess.run([sys.executable, "-m", "core.schedule.warmup"], cwd=ROOT, env=env, check=True)
    return folder / numba_cache_dir().name


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s ({', '.join(f'{v:.2f}' for v in values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="empty caches for every app start")
    parser.add_argument("--kernels", choices=["install", "none"], default="install")
    parser.add_argument("--csv", type=Path, help="documents to upload (a text column)")
    args = parser.parse_args()
    os.environ.pop("NUMBA_CACHE_DIR", None)  # kernels live in each start's cache folder
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bare = root / "bare"
        bare.mkdir()
        (bare / "app.py").write_text(BARE_APP)
        shutil.copytree(ROOT / ".streamlit", bare / ".streamlit")
        documents, n = (args.csv, _rows(args.csv)) if args.csv else _docstrings(root)
        kernels = _compiled_kernels(root / "installed") if args.kernels == "install" else None

        def cache(name: str, with_kernels: bool) -> dict[str, str]:
            folder = root / name
            if with_kernels and kernels is not None:
                shutil.copytree(kernels, folder / kernels.name)
            return {"MGE_CACHE_DIR": str(folder)}

        shared = cache("shared", with_kernels=True)
        if not args.fresh:
            one_start(shared, root / "warm-up.log")
        bare_pages, firsts, maps, shown, sessions = [], [], [], [], []
        for run in range(args.runs):
            bare_pages.append(first_page_of(bare / "app.py", "A bare app", {}, root / "bare.log"))
            env = cache(f"start-{run}", with_kernels=False) if args.fresh else shared
            first, drawn = one_start(env, root / f"start-{run}.log")
            firsts.append(first)
            maps.append(drawn)
            session_env = cache(f"session-{run}", with_kernels=True)
            numbers, settled = first_session(session_env, documents, n, root / f"session-{run}.log")
            shown.append(numbers)
            sessions.append(settled)
            print(
                f"run {run + 1}: bare first page {bare_pages[-1]:.2f} s, first page "
                f"{first:.2f} s, demo map {drawn:.2f} s, click → numbers and a map "
                f"{numbers:.2f} s, → settled Explore {settled:.2f} s",
                flush=True,
            )
    bare_first = statistics.median(bare_pages)
    print(f"{description()} · median of {args.runs}")
    print(f"bare app's first page: {_median(bare_pages)}")
    cache_kind = "fresh cache" if args.fresh else "warm cache"
    print(
        f"first page ({cache_kind}): {_median(firsts)}, "
        f"{statistics.median(firsts) / bare_first:.2f}× the bare app's"
    )
    print(
        f"demo map ({cache_kind}): {_median(maps)}, "
        f"{statistics.median(maps) / bare_first:.2f}× the bare app's first page"
    )
    print(
        f"{n:,} documents, empty cache folder, kernels {args.kernels}: click → numbers and a "
        f"map {_median(shown)}, → settled Explore {_median(sessions)}"
    )


if __name__ == "__main__":
    main()
