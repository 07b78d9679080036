"""App start-up in real Chromium: from `streamlit run` (process start) to the first page drawn
(the app's heading) and to the demo corpus's map drawn on the Explore page, median of N starts.
`--fresh` gives every start empty cache folders (embeddings and numba's kernels), as on a new
machine; without it the starts share one cache folder, warmed by a first start not counted.

    python bench/bench_startup.py [--runs 3] [--fresh]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repo root

from core.runtime.machine import description  # noqa: E402
from tests.browser_support import (  # noqa: E402
    PLOTLY_MAP,
    blank_page,
    explore_map,
    port_open,
    running_app,
)

TIMEOUT_S = 300


def one_start(cache: Path, log: Path) -> tuple[float, float]:
    """Seconds from process start to the first page and to the demo map."""
    env = {"MGE_CACHE_DIR": str(cache), "NUMBA_CACHE_DIR": str(cache / "numba")}
    with blank_page() as page:
        started = time.monotonic()
        with running_app(log, ready=port_open, env=env) as url:
            page.goto(url + PLOTLY_MAP)
            page.get_by_role("heading", name="Matryoshka Graph Explorer").wait_for(
                timeout=TIMEOUT_S * 1000
            )
            first_page = time.monotonic() - started
            explore_map(page, timeout_ms=TIMEOUT_S * 1000)
            demo_map = time.monotonic() - started
    return first_page, demo_map


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="empty caches for every start")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shared = root / "cache"
        if not args.fresh:
            one_start(shared, root / "warm-up.log")
        times = []
        for run in range(args.runs):
            cache = root / f"cache-{run}" if args.fresh else shared
            times.append(one_start(cache, root / f"start-{run}.log"))
            print(
                f"start {run + 1}: first page {times[-1][0]:.1f} s, demo map {times[-1][1]:.1f} s"
            )
    first, drawn = (statistics.median(t[i] for t in times) for i in (0, 1))
    cache = "fresh cache" if args.fresh else "warm cache"
    print(
        f"{description()} · {cache} · median of {args.runs}: "
        f"first page {first:.1f} s, demo map {drawn:.1f} s"
    )


if __name__ == "__main__":
    main()
