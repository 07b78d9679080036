"""What the WebGL map costs at 10k, 100k and 1M points, in Debian's headless Chromium with
software WebGL (SwiftShader): the bytes of every size sent once (the live map's packs) and of
the standalone ladder file, the time from a slider step's input to its first frame drawn
(measured in the page, the frame read back so that drawing is included), and the frame rate of
the glide between two sizes. Coordinates are synthetic and in register across sizes (clusters
that drift and merge as the size shrinks), with a short text per document for hover.

    python bench/bench_webgl.py [--points 10000,100000,1000000] [--sizes 10] [--steps 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repo root

import numpy as np  # noqa: E402

from core.analysis.colour_by import Grouping  # noqa: E402
from core.viz import map_data  # noqa: E402
from core.viz.ladder_html import standalone_html  # noqa: E402
from core.viz.map_labels import LabelLevels  # noqa: E402
from core.viz.map_scene import MapScene  # noqa: E402
from core.viz.text import hover_lines  # noqa: E402
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

ARGS = [*CHROMIUM_ARGS, "--enable-unsafe-swiftshader", "--use-angle=swiftshader"]
DIMS = (1024, 768, 512, 384, 256, 192, 128, 64, 32, 16)


def synthetic_packs(n: int, sizes: int, seed: int = 0) -> list[bytes]:
    """Texts, paint and `sizes` size packs of n points: 40 clusters that merge pairwise and
    drift as the size halves."""
    rng = np.random.default_rng(seed)
    rows = np.arange(n)
    centres = rng.normal(0, 12, (40, 2))
    member = rng.integers(0, 40, n)
    offsets = rng.normal(0, 1, (n, 2))
    texts = [f"document {i}: a short line about topic {member[i]} and its words" for i in rows]
    ids = [f"doc-{i}" for i in rows]
    packs = [
        map_data.text_pack(rows, hover_lines(texts, ids, None, rows), title="bench"),
        map_data.paint_pack(rows),
    ]
    for k in range(min(sizes, len(DIMS))):
        groups = max(2, 40 >> (k // 2))
        communities = member % groups
        drift = centres[communities] * (k / sizes)
        coords = centres[member] * (1 - k / sizes) + drift + offsets * (1 + 0.1 * k)
        names = {c: f"topic {c} words" for c in range(groups)}
        colours = Grouping("community", communities, names)
        packs.append(
            map_data.size_pack(DIMS[k], MapScene(coords, colours, LabelLevels(names)), rows)
        )
    return packs


def measure(html_path: Path, steps: int) -> dict:
    """Step times and glide frame rates of the standalone page in Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.route(
            "**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort()
        )
        start = time.perf_counter()
        page.goto(html_path.as_uri(), timeout=600_000)
        while not page.evaluate("window.mgeMap?.ready && mgeMap.debug.frames > 0"):
            time.sleep(0.05)
        opened = time.perf_counter() - start
        slider = page.locator('input[type="range"]')
        slider.focus()
        for _ in range(steps):
            done = page.evaluate("mgeMap.debug.glides.length")
            page.keyboard.press("ArrowLeft")
            while page.evaluate(f"mgeMap.debug.glides.length === {done} || !!mgeMap.glide"):
                time.sleep(0.02)
        debug = page.evaluate("mgeMap.debug")
        browser.close()
    rates = [g["frames"] / (g["ms"] / 1000) for g in debug["glides"]]
    return {
        "open_s": opened,
        "step_ms": statistics.median(debug["steps"]),
        "step_max_ms": max(debug["steps"]),
        "glide_fps": statistics.median(rates),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", default="10000,100000,1000000")
    parser.add_argument("--sizes", type=int, default=10)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    print("points  sizes  build_s  sent_MB  html_MB  open_s  step_ms(median/max)  glide_fps")
    for n in (int(v) for v in args.points.split(",")):
        start = time.perf_counter()
        packs = synthetic_packs(n, args.sizes)
        built = time.perf_counter() - start
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "ladder.html"
            path.write_text(standalone_html(packs), encoding="utf-8")
            html_mb = path.stat().st_size / 1e6
            found = measure(path, min(args.steps, args.sizes - 1))
        sent = sum(map(len, packs)) / 1e6
        print(
            f"{n:>7,}  {args.sizes:>5}  {built:7.1f}  {sent:7.2f}  {html_mb:7.2f}  "
            f"{found['open_s']:6.1f}  {found['step_ms']:8.0f} / {found['step_max_ms']:<8.0f}  "
            f"{found['glide_fps']:9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
