"""Retrieval quality per size × precision on a real query set nobody here wrote: the docstrings
of the installed packages, each docstring's first sentence as the query and its first prose
paragraph after the summary as the one relevant document, among docstring passages of other
packages' code (bench/docstring_corpus.py) as distractors.

Writes the corpus and the query file under --cache, measures in one process the embedding and
the retrieval table separately (embedding cached on disk after the first run), then times the
CLI's `--only retrieval` run on the same files, and prints recall@10 and nDCG@10 per size and
precision, agreement beside them, where the two disagree most, and the search speed of each
size × precision with its own kernel. Results go to
bench/results/retrieval-<n>.json.

  .venv/bin/python bench/bench_retrieval.py --size 20000 --queries 1000
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import docstring_corpus  # noqa: E402

from core.analysis.retrieval import disagreement  # noqa: E402
from core.embed.models import WORDLLAMA  # noqa: E402
from core.io.corpus import build_corpus, read_path  # noqa: E402
from core.io.queries import read_query_path  # noqa: E402
from core.pipeline import Choice, Pipeline  # noqa: E402
from core.runtime.store import ResultStore  # noqa: E402

RESULTS = HERE / "results"
_SPACE = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_PREFIX = 40  # distractors starting like a query are left out: they would be the query itself


def summary_pairs(seed: int) -> list[tuple[str, str, str]]:
    """(query, answer, package): each docstring's first sentence and its first prose paragraph
    after the summary; queries or answers that occur more than once are dropped (they would have
    several right answers), shuffled with `seed`."""
    pairs = []
    for package, doc in docstring_corpus._docstrings(docstring_corpus.site_packages(), Counter()):
        paragraphs = _PARAGRAPH_BREAK.split(doc.strip())
        if len(paragraphs) < 2:
            continue
        first = _SPACE.sub(" ", paragraphs[0]).strip()
        query = docstring_corpus._SENTENCE_END.split(first)[0].strip()
        words = len(query.split())
        if not 4 <= words <= 30 or docstring_corpus._CODE.search(query):
            continue
        answer = next((p for p in map(docstring_corpus.prose, paragraphs[1:]) if p), None)
        if answer:
            pairs.append((query, answer, package))
    queries = Counter(q for q, _, _ in pairs)
    answers = Counter(a for _, a, _ in pairs)
    unique = [p for p in pairs if queries[p[0]] == 1 and answers[p[1]] == 1]
    order = np.random.default_rng(seed).permutation(len(unique))
    return [unique[i] for i in order]


def build(size: int, queries: int, cache: Path, seed: int) -> tuple[Path, Path, dict]:
    """The corpus CSV (id, text, label) of `size` documents and the query CSV (id, query,
    relevant): as many answers as fit in half the corpus, the rest distractor passages."""
    folder = cache / f"retrieval-seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    corpus_csv, queries_csv = folder / f"corpus-{size}.csv", folder / f"queries-{size}.csv"
    pairs = summary_pairs(seed)
    answers = pairs[: min(len(pairs), size // 2)]
    asked = answers[:queries]
    taken = {a for _, a, _ in answers}
    starts = {q[:_PREFIX] for q, _, _ in pairs}
    # more passages than needed: those equal to an answer or starting like a query are dropped
    wanted = size + len(pairs)
    pool_paths, _ = docstring_corpus.corpora([wanted], cache, seed=0)
    pool = docstring_corpus.read(pool_paths[wanted])
    fill = [(t, label) for t, label, _ in pool if t not in taken and t[:_PREFIX] not in starts][
        : size - len(answers)
    ]
    with corpus_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "label"])
        writer.writerows((f"a{i}", a, package) for i, (_, a, package) in enumerate(answers))
        writer.writerows((f"d{i}", t, label) for i, (t, label) in enumerate(fill))
    with queries_csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "query", "relevant"])
        writer.writerows((f"q{i}", q, f"a{i}") for i, (q, _, _) in enumerate(asked))
    report = {
        "pairs found": len(pairs),
        "answers in corpus": len(answers),
        "distractors": len(fill),
        "queries": len(asked),
    }
    return corpus_csv, queries_csv, report


def measure(corpus_csv: Path, queries_csv: Path) -> tuple[dict, list[dict]]:
    """Seconds to embed (or load) the corpus, to embed the queries, then to build the retrieval
    table (every size × precision, with the timed single queries), in-process."""
    start = time.perf_counter()
    corpus = build_corpus(read_path(corpus_csv), "text", "label", id_column="id", name="doc")
    read = time.perf_counter()
    pipe = Pipeline(Choice(corpus, WORDLLAMA, "native"), store=ResultStore(2**62))
    pipe.ordered()
    embedded = time.perf_counter()
    query_set = read_query_path(queries_csv, corpus.ids)
    pipe.query_vectors(query_set)
    asked = time.perf_counter()
    table = pipe.retrieval(query_set)
    done = time.perf_counter()
    seconds = {
        "read": read - start,
        "embed (or load) the corpus": embedded - read,
        "embed the queries (model loaded here when the corpus was cached)": asked - embedded,
        "retrieval table": done - asked,
    }
    return seconds, table.to_dict("records")


def cli_seconds(corpus_csv: Path, queries_csv: Path, out: Path) -> float:
    """Wall time of `python -m core CORPUS --queries FILE --only retrieval` in a fresh process."""
    command = [
        sys.executable,
        "-m",
        "core",
        str(corpus_csv),
        "--queries",
        str(queries_csv),
        "--only",
        "retrieval",
        "--label-column",
        "label",
        "--out",
        str(out),
    ]
    start = time.perf_counter()
    subprocess.run(command, cwd=HERE.parent, check=True, capture_output=True)
    return time.perf_counter() - start


def markdown(rows: list[dict]) -> str:
    """recall@10 and nDCG@10 per size, one column pair per precision, agreement beside them."""
    precisions = list(dict.fromkeys(r["precision"] for r in rows))
    by = {(r["dim"], r["precision"]): r for r in rows}
    head = "| dims | " + " | ".join(f"{p} R@10 / nDCG@10 / agr." for p in precisions) + " |"
    lines = [head, "|" + "---|" * (len(precisions) + 1)]
    for dim in sorted({r["dim"] for r in rows}, reverse=True):
        cells = []
        for p in precisions:
            r = by[(dim, p)]
            cells.append(
                f"{r['recall_at_k']:.3f} / {r['ndcg_at_10']:.3f} / {r['agreement_at_k']:.2f}"
            )
        lines.append(f"| {dim} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def speed_markdown(rows: list[dict]) -> str:
    """Search speed per size × precision, each with its own kernel (tables that have it)."""
    if "ms_per_query_p95" not in rows[0]:
        return ""
    lines = [
        "| dims | precision | ms/query p50 | p95 | queries/s (batch) | index in memory |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dim']} | {r['precision']} | {r['ms_per_query']:.3f} | "
            f"{r['ms_per_query_p95']:.3f} | {r['queries_per_second']:,.0f} | "
            f"{r['index_bytes'] / 1e6:.1f} MB |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=RESULTS / "corpora")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI timing")
    args = parser.parse_args()
    corpus_csv, queries_csv, report = build(args.size, args.queries, args.cache, args.seed)
    print(json.dumps(report), flush=True)
    seconds, rows = measure(corpus_csv, queries_csv)
    if not args.no_cli:
        out = RESULTS / f"retrieval-cli-{args.size}"
        seconds["cli --only retrieval (embeddings cached)"] = cli_seconds(
            corpus_csv, queries_csv, out
        )
    print(json.dumps({k: round(v, 2) for k, v in seconds.items()}))
    print(markdown(rows))
    print(speed_markdown(rows))
    import pandas as pd

    gap = disagreement(pd.DataFrame(rows))
    print(
        f"largest gap: {gap['dim']} dims {gap['precision']}: agreement "
        f"{gap['agreement_at_k']:.3f}, nDCG@10 kept {gap['ndcg_at_10_share']:.3f}"
    )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"retrieval-{args.size}.json"
    path.write_text(json.dumps({"report": report, "seconds": seconds, "table": rows}, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
