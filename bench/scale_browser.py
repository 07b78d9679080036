"""Slider timing in the real app: upload a corpus on the Corpus page, wait for the Explore page's
UMAP maps, then step the dimension slider with the arrow keys, timing each step from the key
press until the page shows the new size's numbers and counting the websocket bytes it cost."""

from __future__ import annotations

import csv
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repo root

from scale_workers import peak_rss  # noqa: E402

from tests.browser_support import (  # noqa: E402
    MAP_FRAME,
    PLOTLY_MAP,
    SLIDER_NAME,
    browser_page,
    explore_map,
    running_app,
    wait_until_every_size_ready,
    wait_until_maps_ready,
)

QUIET_SECONDS = 1.0  # a step is over once no frame has arrived for this long
READY_QUIET_MS = 3_000  # every size is ready once the background line has been gone this long
# Marks where a step's time goes, on the browser's clock (ms), in every frame of the page: in the
# page, each key press and websocket message; in the map's frame, each render message, and when
# Plotly.react starts and settles.
MARKS = """(() => {
  const marks = (window.__stepMarks = []);
  const mark = (what) => marks.push([what, performance.timeOrigin + performance.now()]);
  if (window === window.top) {
    document.addEventListener("keydown", () => mark("key"), true);
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener("message", () => mark("frame"));
      }
    };
    return;
  }
  window.addEventListener("message", (event) => {
    if (event.data?.type === "streamlit:render") mark("render");
  }, true);
  let plotly;
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get: () => plotly,
    set(value) {
      const react = value.react;
      value.react = async (...args) => {
        mark("react");
        try {
          return await react.apply(value, args);
        } finally {
          mark("reacted");
          // the next frame's paint: its animation frame callback runs before it, a task after
          requestAnimationFrame(() => setTimeout(() => mark("next frame"), 0));
        }
      };
      plotly = value;
    },
  });
})()"""
# (name, from, to) of the step's parts, from the marks
PARTS = (
    ("key → first frame", "key", "first frame"),
    ("frames (first → last before the draw)", "first frame", "last frame"),
    ("last frame → render message", "last frame", "render"),
    ("render message → react (JSON.parse)", "render", "react"),
    ("Plotly.react", "react", "reacted"),
    ("reacted → next frame painted", "reacted", "next frame"),
    ("next frame → seen by the benchmark", "next frame", "painted"),
)
# resolves once the browser has painted what the page holds now (after the next frame's paint),
# and marks that time (see MARKS)
PAINTED = """() => new Promise(done => requestAnimationFrame(() => setTimeout(() => {
    window.__stepMarks.push(["painted", performance.timeOrigin + performance.now()]);
    done();
}, 0)))"""


def server_pid() -> int:
    """The `streamlit run` process that running_app started (a child of this process)."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = stat.read_text().rsplit(")", 1)[1].split()[1]
            command = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if ppid == me and b"streamlit" in command:
            return int(stat.parent.name)
    raise RuntimeError("the streamlit server process was not found")


def _upload_file(csv_path: Path, folder: Path) -> Path:
    """The corpus as a TSV of text and label (tab-free texts, so no delimiter sniffing)."""
    target = folder / f"{csv_path.stem}.tsv"
    with csv_path.open(newline="", encoding="utf-8") as src, target.open("w", newline="") as out:
        writer = csv.writer(out, delimiter="\t")
        writer.writerow(["text", "label"])
        writer.writerows((row["text"], row["label"]) for row in csv.DictReader(src))
    return target


def _path(dims: list[int], steps: int) -> list[int]:
    """The sizes visited by `steps` arrow presses from the full size: down the ladder, back up,
    and so on."""
    ladder = sorted(dims)
    position, direction, visited = len(ladder) - 1, -1, []
    for _ in range(steps):
        if not 0 <= position + direction < len(ladder):
            direction = -direction
        position += direction
        visited.append(ladder[position])
    return visited


def slider_timings(
    csv_path: Path,
    n: int,
    dims: list[int],
    ladder: str,
    steps: int,
    timeout_s: float,
    settle_s: float = 0.0,
) -> dict:
    """Per step: key press → new numbers shown (s), key press → the new size's map drawn (its
    title names the size, and the browser has painted since; and the same on the browser's
    clock, without the time the benchmark takes to see it), key press → the step's last
    websocket frame (s) and websocket payload bytes received; plus time to the maps and the
    server's peak RSS. With no steps, only the time from choosing the file to the full-size
    UMAP map."""
    frames: list[tuple[float, int]] = []

    def on_frame(payload: bytes | str) -> None:
        size = len(payload) if isinstance(payload, bytes) else len(payload.encode())
        frames.append((time.perf_counter(), size))

    timeout_ms = timeout_s * 1000
    with tempfile.TemporaryDirectory() as tmp:
        upload = _upload_file(csv_path, Path(tmp))
        with running_app(Path(tmp) / "server.log") as url, browser_page(url + PLOTLY_MAP) as page:
            page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
            page.add_init_script(MARKS)
            page.reload()  # a new session, whose websocket is now listened to
            page.wait_for_timeout(settle_s * 1000)  # a server up for a while, as a user finds it
            page.get_by_role("link", name="Corpus & model").click()
            start = time.perf_counter()  # upload → first map includes parsing and embedding
            page.locator('input[type="file"]').first.set_input_files(str(upload))
            page.get_by_role("button", name="Use these documents").click(timeout=timeout_ms)
            page.get_by_text(f"· {n:,} documents").first.wait_for(timeout=timeout_ms)
            if ladder:
                box = page.get_by_role("textbox", name="Dimension ladder")
                box.fill(ladder)
                box.press("Enter")
            page.get_by_role("link", name="Explore").click()
            page.get_by_text("Mean kNN recall@").first.wait_for(timeout=timeout_ms)
            numbers = time.perf_counter() - start  # with the instant PCA map
            wait_until_maps_ready(page, timeout_ms=timeout_ms)
            ready = time.perf_counter() - start
            if not steps:
                return {
                    "numbers and PCA map (s)": round(numbers, 2),
                    "first map (s)": round(ready, 2),
                    "server peak rss": peak_rss(server_pid()),
                }
            # steps are timed once every size is ready (the background status line is gone and
            # no longer redraws every second)
            wait_until_every_size_ready(page, timeout_ms=timeout_ms, quiet_ms=READY_QUIET_MS)
            every_size = time.perf_counter() - start - READY_QUIET_MS / 1000  # when the line left
            slider = page.get_by_role("slider", name=re.compile(SLIDER_NAME))
            shown, drawn, on_screen, complete, sizes, parts = [], [], [], [], [], []
            previous, path = max(dims), _path(dims, steps)
            for dim in path:
                _wait_quiet(page, frames)
                frames.clear()
                # while a rerun renders the previous slider can still be there: wait for one
                page.wait_for_function(
                    "(name) => document.querySelectorAll("
                    "`input[aria-label^='${name}']`).length === 1",
                    arg=SLIDER_NAME,
                    timeout=timeout_ms,
                )
                slider.focus()
                pressed = time.perf_counter()
                page.keyboard.press("ArrowLeft" if dim < previous else "ArrowRight")
                page.wait_for_function(
                    """(bytes) => [...document.querySelectorAll('[data-testid="stMetric"]')]
                             .some(m => m.innerText.includes('Bytes per vector')
                                   && m.innerText.trim().endsWith(bytes))""",
                    arg=f"{dim * 4:,}",
                    timeout=timeout_ms,
                )
                shown.append(time.perf_counter() - pressed)
                explore_map(page, f"· {dim} of {max(dims)} dims", timeout_ms)
                page.evaluate(PAINTED)
                drawn.append(time.perf_counter() - pressed)
                step_parts, painted = _step_parts(page)
                parts.append(step_parts)
                on_screen.append(painted)
                _wait_quiet(page, frames)
                complete.append(max((t for t, _ in frames), default=pressed) - pressed)
                sizes.append(sum(size for _, size in frames))
                previous = dim
            server_rss = peak_rss(server_pid())
    return {
        "numbers and PCA map (s)": round(numbers, 2),
        "first map (s)": round(ready, 2),
        "every size (s)": round(every_size, 2),
        "dims": path,
        "shown (s)": [round(s, 3) for s in shown],
        "map drawn (s)": [round(s, 3) for s in drawn],
        "complete (s)": [round(s, 3) for s in complete],
        "bytes": sizes,
        "shown p50": statistics.median(shown),
        "shown p95": _p95(shown),
        "map drawn p50": statistics.median(drawn),
        "map drawn p95": _p95(drawn),
        "map painted, browser clock (s)": [round(s, 3) for s in on_screen],
        "map painted, browser clock p50": statistics.median(on_screen),
        "map painted, browser clock p95": _p95(on_screen),
        "complete p50": statistics.median(complete),
        # Streamlit lets the browser keep large messages for a couple of runs, so going back to
        # the size just left costs little: that turn-around step is cheap in "bytes"
        "bytes p50": statistics.median(sizes),
        "step parts p50 (s)": {
            name: round(statistics.median(p[name] for p in parts), 3) for name, _, _ in PARTS
        },
        "server peak rss": server_rss,
    }


def _step_parts(page) -> tuple[dict[str, float], float]:
    """Seconds spent in each of PARTS by the step just drawn (marks since its key press; the
    map's render message is the last one before its Plotly.react), and seconds from the key
    press to the paint of the map's new frame, on the browser's clock (without the time the
    benchmark takes to see it); the marks are cleared."""
    marks = page.evaluate(
        """(frame) => {
            const map = document.querySelector(frame).contentWindow;
            const all = [...window.__stepMarks, ...map.__stepMarks];
            window.__stepMarks.length = 0;
            map.__stepMarks.length = 0;
            return all;
        }""",
        MAP_FRAME,
    )
    key = max(t for what, t in marks if what == "key")
    react = max(t for what, t in marks if what == "react")
    frames = [t for what, t in marks if what == "frame" and key <= t <= react]
    at = {
        "key": key,
        "first frame": min(frames, default=key),
        "last frame": max(frames, default=key),
        "render": max(t for what, t in marks if what == "render" and t <= react),
        "react": react,
        "reacted": max(t for what, t in marks if what == "reacted"),
        "next frame": max(t for what, t in marks if what == "next frame"),
        "painted": max(t for what, t in marks if what == "painted"),
    }
    parts = {name: (at[end] - at[start]) / 1000 for name, start, end in PARTS}
    return parts, (at["next frame"] - at["key"]) / 1000


def _wait_quiet(page, frames: list[tuple[float, int]], limit_s: float = 600) -> None:
    """Wait until no websocket frame has arrived for QUIET_SECONDS (events are delivered while
    Playwright waits)."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        page.wait_for_timeout(100)
        last = frames[-1][0] if frames else start
        if time.perf_counter() - max(last, start) >= QUIET_SECONDS:
            return


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    """Time the app alone on one docstring corpus: `--steps 0` stops at the first UMAP map."""
    import argparse
    import json

    import docstring_corpus

    from core.analysis.ladder import default_dims
    from core.embed.models import WORDLLAMA

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="documents (default: 100000)")
    parser.add_argument("--steps", type=int, default=18, help="arrow presses (0: first map only)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per wait")
    parser.add_argument(
        "--settle",
        type=float,
        default=0.0,
        help="seconds between the server's start and choosing the file (default 0: at once)",
    )
    args = parser.parse_args()
    cache = Path(__file__).resolve().parent / "results" / "corpora"
    paths, _ = docstring_corpus.corpora([args.size], cache)
    dims = default_dims(WORDLLAMA.dim, WORDLLAMA.matryoshka_dims)
    result = slider_timings(
        paths[args.size], args.size, dims, "", args.steps, args.timeout, args.settle
    )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
