"""The CLI's whole precompute on one corpus, single-process against `--ray local`.

Each run is a fresh `python -m core` process with an empty embeddings cache (so both embed),
sharing only numba's compile cache. Memory is sampled twice a second over the CLI and every
process it starts (Ray's GCS, raylet and workers included): the peak of the summed PSS
(proportional set size, so memory shared between processes, such as Ray's object store, is
counted once) and of the summed RSS. Writes bench/results/ray.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

import docstring_corpus  # noqa: E402
from process_tree import GB, run_measured  # noqa: E402

from core.runtime.numba_cache import numba_cache_dir  # noqa: E402


def run_cli(corpus: Path, mode: str, ladder: str, numba_cache: Path) -> dict:
    """One measured CLI run; mode is "single" or "ray"."""
    with tempfile.TemporaryDirectory(prefix="mge-bench-ray-") as tmp:
        cache = Path(tmp) / "cache"
        cache.mkdir()
        (cache / numba_cache.name).symlink_to(numba_cache)
        command = [sys.executable, "-m", "core", str(corpus), "--text-column", "text"]
        command += ["--out", str(Path(tmp) / "out"), "--formats", "none"]
        command += ["--project", str(Path(tmp) / "project")]
        if ladder:
            command += ["--ladder", ladder]
        if mode == "ray":
            command += ["--ray", "local"]
        env = {**os.environ, "MGE_CACHE_DIR": str(cache), "MGE_MAX_DOCUMENTS": "2000000"}
        run = run_measured(command, env, ROOT)
        if run.returncode:
            raise SystemExit(f"{mode} run failed:\n{run.stderr[-3000:]}")
        project = json.loads((Path(tmp) / "project" / "manifest.json").read_text())
    return {
        "mode": mode,
        "seconds": round(run.seconds, 1),
        "peak_pss_gb": round(run.peak_pss / GB, 2),
        "peak_rss_sum_gb": round(run.peak_rss / GB, 2),
        "processes": run.processes,
        "dims": project["dims"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="50000,100000", help="corpus sizes (comma separated)")
    parser.add_argument("--modes", default="single,ray", help="single, ray or both")
    parser.add_argument("--ladder", default="", help="ladder (default: the app's)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "ray.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    paths, _ = docstring_corpus.corpora(sizes, HERE / "results" / "corpora")
    numba_cache = ROOT / ".cache" / "mge" / numba_cache_dir().name
    numba_cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in sizes:
        for mode in args.modes.split(","):
            row = {"docs": n, **run_cli(paths[n], mode, args.ladder, numba_cache)}
            print(json.dumps(row), flush=True)
            rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"cpus": os.cpu_count(), "runs": rows}, indent=1))
    print(f"{'docs':>8} {'mode':>7} {'seconds':>8} {'peak PSS GB':>12} {'peak RSS sum GB':>16}")
    for r in rows:
        print(
            f"{r['docs']:>8,} {r['mode']:>7} {r['seconds']:>8} {r['peak_pss_gb']:>12} "
            f"{r['peak_rss_sum_gb']:>16}"
        )


if __name__ == "__main__":
    main()
