"""The per-step cost of the names on the map: what a slider step adds to building the live map's
spec when names are on, at 5,000 and 100,000 points.

The map is synthetic (clustered 2-D points, not a UMAP map of real text: placement depends
only on the points and their groups): `--groups` Gaussian blobs of uneven (Dirichlet) sizes,
a coarse grouping of about six, names of three words. Each timing is the median of
`--repeats` runs in this process.

    .venv/bin/python bench/bench_labels.py --sizes 5000,100000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repo root

import numpy as np  # noqa: E402
from timing import median_seconds  # noqa: E402

from core.analysis.colour_by import Grouping  # noqa: E402
from core.viz.map_labels import LabelFrame, LabelLevels, place_labels  # noqa: E402
from core.viz.map_plot import LIVE_WEBGL_THRESHOLD, map_spec  # noqa: E402
from core.viz.map_scene import MapScene  # noqa: E402
from core.viz.plotly_json import spec_json  # noqa: E402


def clustered_map(n: int, groups: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-20, 20, size=(groups, 2))
    labels = rng.choice(groups, size=n, p=rng.dirichlet(np.full(groups, 1.5)))
    coords = (centres[labels] + rng.normal(scale=1.0, size=(n, 2))).astype(np.float32)
    names = {g: f"word{g} other{g % 7} third{g % 5}" for g in range(groups)}
    coarse = labels * 6 // groups
    return coords, labels, names, LabelLevels(names, coarse, {c: f"theme {c}" for c in range(6)})


def measure(n: int, groups: int, repeats: int) -> tuple[float, float, float, int]:
    """(placing the names, the live map's spec and JSON without names, the same with names,
    names placed) in seconds, medians of `repeats`."""
    coords, labels, names, levels = clustered_map(n, groups)
    legend = {g: f"{g} · {name}" for g, name in names.items()}
    hover = [""] * n
    frame = LabelFrame(700, 540, (-25, 25), (-25, 25))

    def place():
        return place_labels(
            coords,
            labels,
            names,
            frame,
            coarse_groups=levels.coarse_groups,
            coarse_names=levels.coarse_names,
        )

    def step(with_names: bool) -> bytes:
        scene = MapScene(
            coords,
            Grouping("community", labels, legend),
            names_on_map=levels if with_names else None,
            title="bench",
        )
        spec = map_spec(scene, hover, webgl_above=LIVE_WEBGL_THRESHOLD, text_by_row=True)
        return spec_json(spec)

    return (
        median_seconds(place, repeats),
        median_seconds(lambda: step(False), repeats),
        median_seconds(lambda: step(True), repeats),
        len(place()),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,100000")
    parser.add_argument("--groups", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    print("| points | place names s | live map spec + JSON, names off s | names on s | names |")
    print("|---|---|---|---|---|")
    for n in map(int, args.sizes.split(",")):
        place, off, on, count = measure(n, args.groups, args.repeats)
        print(f"| {n:,} | {place:.3f} | {off:.3f} | {on:.3f} | {count} |")


if __name__ == "__main__":
    main()
