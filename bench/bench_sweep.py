"""The sweep files' cost: seconds to render and write the GIF and the MP4, and their size, for
synthetic clustered maps in register (tests.support.clustered_ladder: blobs merging pairwise
down the ladder), median of N runs each.

    python bench/bench_sweep.py [--size 100000] [--sizes 256,192,128,96,64,32,16,8] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repo root

from core.runtime.machine import description  # noqa: E402
from core.viz.sweep import SWEEP_FORMATS, SweepOptions, frame_count, sweep_bytes  # noqa: E402
from tests.support import clustered_ladder, ladder_scenes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--sizes", default="256,192,128,96,64,32,16,8")
    parser.add_argument("--communities", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    dims = [int(d) for d in args.sizes.split(",")]
    scenes = ladder_scenes(*clustered_ladder(args.size, dims, args.communities))
    options = SweepOptions()
    print(description())
    print(
        f"{args.size:,} points, {len(dims)} sizes, {args.communities} communities at the full "
        f"size; {options.width}×{options.height} px, {frame_count(len(dims), options)} frame "
        f"times at {options.fps} fps, at most {options.limit:,} points drawn"
    )
    print("| format | seconds (median) | runs | MB |")
    print("|---|---|---|---|")
    for fmt in SWEEP_FORMATS:
        seconds, size = [], 0
        for _ in range(args.runs):
            started = time.perf_counter()
            size = len(sweep_bytes(scenes, fmt, options=options))
            seconds.append(time.perf_counter() - started)
        runs = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"| {fmt} | {statistics.median(seconds):.2f} | {runs} | {size / 1e6:.2f} |")


if __name__ == "__main__":
    main()
