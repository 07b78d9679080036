"""Benchmark: slider latency in a real browser.

Starts `streamlit run app.py`, opens it in headless Debian Chromium, waits until the demo's UMAP
maps are ready, then presses ArrowLeft on the dimension slider down the whole ladder and back,
timing each step from the key press until the page shows the new numbers.
Usage: python bench/slider_latency.py
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser_support import (  # noqa: E402
    SLIDER_NAME,
    browser_page,
    running_app,
    step_slider_left,
    wait_until_maps_ready,
)

LADDER = [256, 192, 128, 96, 64, 48, 32, 24, 16, 8]


def main() -> None:
    log = Path(tempfile.mkdtemp()) / "server.log"
    report: dict = {}
    with running_app(log) as url, browser_page(url) as page:
        start = time.perf_counter()
        wait_until_maps_ready(page)
        report["first view until UMAP maps ready (s)"] = round(time.perf_counter() - start, 2)
        slider = page.get_by_role("slider", name=re.compile(SLIDER_NAME))
        steps = []
        for dim in LADDER[1:]:
            start = time.perf_counter()
            step_slider_left(page, f"{dim * 4:,}")
            steps.append(time.perf_counter() - start)
        assert slider.get_attribute("aria-valuetext") == "8"
        report["slider steps"] = len(steps)
        report["slider step median (s)"] = round(float(np.median(steps)), 3)
        report["slider step max (s)"] = round(float(np.max(steps)), 3)
    for key, value in report.items():
        print(f"{key:<40} {value}")
    target = Path(__file__).parent / "results" / "slider.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(report, indent=1))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
