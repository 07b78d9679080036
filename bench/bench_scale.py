"""Scale benchmark: our pipeline against a naive baseline, and the slider in the real app.

Corpora are real docstring paragraphs from the installed packages (bench/docstring_corpus.py),
built offline and cached under bench/results/corpora/. Each size runs in a fresh process, so
peak RSS is per run. Stages are timed apart. Two speed-ups are reported: graph+communities+UMAP
on the same embeddings (embedding excluded from both), and the whole run (model load, embedding,
every stage and writing the outputs; the naive run is charged our embedding's time, as it would
embed the same way). Writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import docstring_corpus  # noqa: E402
import scale_browser  # noqa: E402
import scale_workers  # noqa: E402

from core.analysis.ladder import default_dims, fit_ladder, parse_dims  # noqa: E402
from core.embed.models import WORDLLAMA  # noqa: E402
from core.runtime.errors import ExplorerError  # noqa: E402
from core.runtime.limits import DEFAULT_LIMITS  # noqa: E402
from core.runtime.numba_cache import numba_cache_dir  # noqa: E402

RESULTS = HERE / "results"
GB = 1024**3
DEFAULT_BASELINE = (2000, 10000)
COLUMNS = (
    "docs",
    "method",
    "embed s",
    "graph+comm s",
    "UMAP s",
    "fidelity s",
    "write s",
    "graph+UMAP s",
    "whole s",
    "peak RSS GB",
    "+RSS GB",
    "speed-up",
    "whole speed-up",
    "first map s",
    "step p50 s",
    "step p95 s",
    "KB/step",
)
EPILOG = """columns:
  embed s        WordLlama embedding, cold cache (model load and numba warm-up excluded)
  graph+comm s   ours: kNN, graph, Leiden, keywords and recall for every ladder size;
                 naive: dense cosine matrix, networkx kNN graph and Louvain per size
  UMAP s         ours: chained UMAP maps; naive: a fresh umap.UMAP(metric="cosine") per size
  fidelity s     our fidelity table (no naive counterpart)
  write s        ours: the CLI's default outputs (lineage, cluster tree, multi-layer graph and
                 the project folder), computed and written; naive: per size, the networkx
                 graph written as GraphML with each node's community and map position
  graph+UMAP s   graph+comm + UMAP: what the speed-up compares
  whole s        model load + embed + every stage + write: what the whole speed-up compares
                 (naive: our model load and embed, then its own stages and write)
  peak RSS GB    the run's peak resident memory (imports and warm-up included); ours: of the
                 process and its map workers together (summed RSS sampled twice a second)
  +RSS GB        peak RSS minus the RSS after imports and warm-up
  speed-up       naive graph+UMAP / ours graph+UMAP, same embeddings
  whole speed-up naive whole / ours whole
  first map s    browser: file chosen on the Corpus page until the Explore page shows the
                 full size's UMAP map (parse, embed, full-size graph and map)
  step p50/p95 s browser: arrow key pressed until the new size's numbers are shown (every
                 size ready)
  KB/step        browser: median websocket payload received per step (after decompression)

example:
  python bench/bench_scale.py --sizes 2000,5000,10000,50000,100000 \\
      --baseline-sizes 2000,10000 --browser-sizes 5000,50000 --markdown
"""


def _sizes(text: str) -> list[int]:
    try:
        return sorted({int(t.replace("_", "")) for t in text.split(",") if t.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of sizes: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--sizes",
        type=_sizes,
        default=[2000, 10000, 50000, 100000],
        help="corpus sizes for our pipeline (default: 2000,10000,50000,100000)",
    )
    p.add_argument(
        "--baseline-sizes",
        type=_sizes,
        help="sizes (among --sizes) for the naive baseline; its dense n×n matrix "
        "needs ~12·n² bytes (default: 2000 and 10000 where among --sizes)",
    )
    p.add_argument(
        "--browser-sizes",
        type=_sizes,
        default=[],
        help="sizes (among --sizes) to time the slider at in the real app via Chromium "
        f"(upload limit: {DEFAULT_LIMITS.max_documents:,} documents; default: none)",
    )
    p.add_argument(
        "--browser-steps",
        type=int,
        default=18,
        help="arrow presses per browser size, down the ladder and back (default: 18)",
    )
    p.add_argument(
        "--browser-timeout",
        type=float,
        default=3600,
        help="seconds to wait for the app at each browser step (default: 3600)",
    )
    p.add_argument(
        "--ladder",
        default="",
        help="sizes like 256,64,16 (default: the model's ladder, 256 down to 8)",
    )
    p.add_argument("--k", type=int, default=10, help="neighbours per document (default: 10)")
    p.add_argument("--corpus-seed", type=int, default=0, help="corpus shuffle seed (default: 0)")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument(
        "--json",
        type=Path,
        default=RESULTS / "scale.json",
        help="where to write the results (default: bench/results/scale.json)",
    )
    return p


def _fresh(fn, *args) -> dict:
    """fn(*args) in a freshly spawned interpreter; an error or a killed process is reported."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            return pool.submit(fn, *args).result()
        except BrokenProcessPool:
            return {"error": "process killed (out of memory?)"}
        except Exception as error:  # one size failing must not lose the others
            return {"error": f"{type(error).__name__}: {error}"}


def _dense_fits(n: int) -> bool:
    """Whether the baseline's n×n float32 matrix and int64 argpartition fit in available RAM."""
    meminfo = Path("/proc/meminfo").read_text()
    available = int(meminfo.split("MemAvailable:")[1].split()[0]) * 1024
    return 12 * n * n < 0.8 * available


def _num(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{1 if value >= 10 else digits}f}"


# the stages of a whole run: what the whole speed-up compares
WHOLE_OURS = ("model load", "embed", "graph+communities", "UMAP", "fidelity", "write")
WHOLE_NAIVE = ("graph+communities", "UMAP", "write")  # after our model load and embed
EMBEDDING = ("model load", "embed")


def _totals(run: dict) -> dict[str, dict[str, float]]:
    """Per method that finished: seconds of graph+UMAP and of the whole run."""
    totals = {}
    ours, naive = run["ours"], run.get("naive")
    if "seconds" in ours:
        s = ours["seconds"]
        totals["ours"] = {
            "graph+UMAP": s["graph+communities"] + s["UMAP"],
            "whole": sum(s[stage] for stage in WHOLE_OURS),
        }
        if naive and "seconds" in naive:
            embedding = sum(s[stage] for stage in EMBEDDING)
            s = naive["seconds"]
            totals["naive"] = {
                "graph+UMAP": s["graph+communities"] + s["UMAP"],
                "whole": embedding + sum(s[stage] for stage in WHOLE_NAIVE),
            }
    return totals


def _speedups(run: dict) -> dict[str, float]:
    """Naive seconds / our seconds, for graph+UMAP and the whole run (empty without both)."""
    totals = _totals(run)
    if len(totals) < 2:
        return {}
    return {what: totals["naive"][what] / totals["ours"][what] for what in totals["ours"]}


def _rows(results: dict) -> list[list[str]]:
    rows = []
    for n, run in sorted(results.items()):
        ours, naive, browser = run["ours"], run.get("naive"), run.get("browser")
        totals, speedups = _totals(run), _speedups(run)
        for name, r in (("ours", ours), ("naive", naive)):
            if r is None:
                continue
            if "seconds" not in r:  # failed or skipped
                rows.append([f"{n:,}", name, r.get("error") or r["skipped"]])
                continue
            s = r["seconds"]
            speed = {
                what: f"{speedups[what]:.1f}×" if name == "ours" and speedups else "–"
                for what in ("graph+UMAP", "whole")
            }
            b = browser if name == "ours" and browser and "shown p50" in browser else {}
            peak = r.get("tree_peak_rss", r["peak_rss"])
            rows.append(
                [
                    f"{n:,}",
                    name,
                    _num(s.get("embed")) if name == "ours" else "(same)",
                    _num(s["graph+communities"]),
                    _num(s["UMAP"]),
                    _num(s.get("fidelity")),
                    _num(s["write"]),
                    _num(totals[name]["graph+UMAP"]),
                    _num(totals[name]["whole"]),
                    f"{peak / GB:.2f}",
                    f"{(peak - r['rss_after_setup']) / GB:.2f}",
                    speed["graph+UMAP"],
                    speed["whole"],
                    _num(b.get("first map (s)")),
                    _num(b.get("shown p50")),
                    _num(b.get("shown p95")),
                    f"{b['bytes p50'] / 1024:,.0f}" if b else "–",
                ]
            )
        if browser and "shown p50" not in browser:
            rows.append([f"{n:,}", "browser", browser.get("skipped") or browser["error"]])
    return rows


def table(results: dict, markdown: bool) -> str:
    rows = _rows(results)
    if markdown:
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(row + [""] * (len(COLUMNS) - len(row))) + " |" for row in rows]
        return "\n".join(lines)
    # a short row (size, method, message) aligns its first two cells with the full rows
    widths = [
        max(len(c), *(len(r[i]) for r in rows if len(r) == len(COLUMNS) or i < 2))
        for i, c in enumerate(COLUMNS)
    ]
    cells = [[f"{v:>{w}}" for v, w in zip(row, widths, strict=False)] for row in [COLUMNS, *rows]]
    return "\n".join("  ".join(row) for row in cells)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.baseline_sizes is None:
        args.baseline_sizes = [n for n in DEFAULT_BASELINE if n in args.sizes]
    for option in ("baseline_sizes", "browser_sizes"):
        missing = set(getattr(args, option)) - set(args.sizes)
        if missing:
            flag = "--" + option.replace("_", "-")
            _parser().error(f"{flag} must be among --sizes (missing {sorted(missing)})")
    try:
        ladder = parse_dims(args.ladder)
    except ExplorerError as error:
        _parser().error(str(error))
    full = WORDLLAMA.dim
    dims = fit_ladder(ladder, full) if ladder else default_dims(full, WORDLLAMA.matryoshka_dims)
    numba_cache = os.environ.get("NUMBA_CACHE_DIR") or str(numba_cache_dir())

    paths, corpus_report = docstring_corpus.corpora(
        args.sizes, RESULTS / "corpora", args.corpus_seed
    )
    print(json.dumps({k: v for k, v in corpus_report.items() if k != "sizes"}, indent=1))
    for n, made in corpus_report["sizes"].items():
        print(f"  {n:>7,} docs: {made}")

    results: dict[int, dict] = {n: {} for n in args.sizes}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            print(f"ours, {n:,} docs, dims {dims} …", flush=True)
            vectors = str(Path(tmp) / f"vectors-{n}.npy")
            results[n]["ours"] = _fresh(
                scale_workers.run_ours, str(paths[n]), dims, args.k, numba_cache, vectors
            )
            if n not in args.baseline_sizes:
                continue
            if "error" in results[n]["ours"]:
                results[n]["naive"] = {"skipped": "no embeddings (our run failed)"}
            elif not _dense_fits(n):
                results[n]["naive"] = {"skipped": f"dense {n:,}² matrix does not fit in RAM"}
            else:
                print(f"naive, {n:,} docs …", flush=True)
                labels = [label for _, label, _ in docstring_corpus.read(paths[n])]
                results[n]["naive"] = _fresh(
                    scale_workers.run_naive, vectors, labels, dims, args.k, numba_cache
                )
    for n in args.browser_sizes:
        if n > DEFAULT_LIMITS.max_documents:
            results[n]["browser"] = {
                "skipped": f"over the app's upload limit of {DEFAULT_LIMITS.max_documents:,} "
                "documents (raise MGE_MAX_DOCUMENTS)"
            }
            continue
        print(f"browser, {n:,} docs …", flush=True)
        try:
            results[n]["browser"] = scale_browser.slider_timings(
                paths[n], n, dims, args.ladder, args.browser_steps, args.browser_timeout
            )
        except Exception as error:  # reported with the other sizes
            results[n]["browser"] = {"error": f"{type(error).__name__}: {error}"[:300]}

    for run in results.values():
        run["speed-up"] = _speedups(run)
    report = {
        "machine": {
            "cores": os.cpu_count(),
            "ram GB": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / GB, 1),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {"model": WORDLLAMA.key, "dims": dims, "k": args.k, **vars(args)},
        "corpus": corpus_report,
        "results": results,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1, default=str))
    print()
    print(table(results, args.markdown))
    print()
    for n, run in sorted(results.items()):
        if run["speed-up"]:
            print(
                f"{n:,} docs: ours is {run['speed-up']['graph+UMAP']:.1f}× as fast on "
                f"graph+communities+UMAP and {run['speed-up']['whole']:.1f}× on the whole run "
                "(embedding, every stage and the outputs)"
            )
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
