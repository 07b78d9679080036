"""Benchmark corpora of real short texts built offline from the docstrings of the installed
Python packages (nobody on this project wrote them), labelled by top-level package.

Every module, class and function docstring under site-packages is split into paragraphs; prose
paragraphs of 40-400 characters are kept once each, longer prose paragraphs are cut at sentence
ends into passages of that size. The pool is shuffled with a seed, so a corpus of n documents is
the pool's first n passages and smaller corpora are prefixes of larger ones. A size above the
pool is reached by splitting passages from the pool's end into their sentences (each sentence
replacing its passage, so no text is repeated or contained in another). Pool and corpora are
cached as CSV, keyed by the installed packages and these rules.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import re
import sysconfig
import warnings
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

RULES_VERSION = 1
MIN_CHARS, MAX_CHARS, LONG_CHUNK_CHARS = 40, 400, 300
MIN_WORDS, MIN_WORD_SHARE = 6, 0.75

_SPACE = re.compile(r"\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"'])")
# a line that makes a paragraph structure, not prose: an underline, "name : type", "Args:",
# a bullet or a numbered item
_STRUCTURE_LINE = re.compile(
    r"^\s*(?:[-=~^*]{3,}|\*{0,2}[\w.]+\s?:(?:\s+\S.*)?|[-*+] |\d+[.)] )\s*$"
)
# doctest prompts, reST directives and field lists, braces, operators, links, LaTeX, code lines
_CODE = re.compile(r">>>|^\.\. |^:\w+|[{}]|==|=>|->|https?://|\s=\s|;\s*$|^\$ |\w\[\w")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_QUOTED = re.compile(r"(?::\w+:)?`+[^`]*`+")  # inline code and reST roles count as one token
_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
_WORD = re.compile(r"[A-Za-z][a-z]*(?:['’][a-z]+)?-?[a-z]*")


def site_packages() -> list[Path]:
    """The running interpreter's site-packages folders (the venv's when run from it)."""
    paths = sysconfig.get_paths()
    return sorted({Path(paths["purelib"]), Path(paths["platlib"])})


def _packages_key(roots: list[Path]) -> str:
    """A digest of the installed distributions and the extraction rules."""
    dists = sorted(p.name for root in roots for p in root.glob("*.dist-info"))
    rules = [RULES_VERSION, MIN_CHARS, MAX_CHARS, LONG_CHUNK_CHARS, MIN_WORDS, MIN_WORD_SHARE]
    payload = json.dumps({"dists": dists, "rules": rules})
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def prose(paragraph: str) -> str | None:
    """The paragraph on one line when it reads as prose of 40-400 characters, else None."""
    if _CONTROL.search(paragraph.replace("\n", " ").replace("\t", " ")):
        return None
    if any(_STRUCTURE_LINE.match(line) for line in paragraph.splitlines()):
        return None
    text = _SPACE.sub(" ", paragraph).strip()
    if not MIN_CHARS <= len(text) <= MAX_CHARS or _CODE.search(text):
        return None
    starts = text[0].isupper() or text[0] in "`\"'"
    if not starts or not (text[-1] in ".!?)\"'`" or text[-1].isalpha()):
        return None
    tokens = _QUOTED.sub(" X ", text).split()
    words = sum(bool(_WORD.fullmatch(t.strip(".,;:!?()\"'"))) for t in tokens)
    return text if len(tokens) >= MIN_WORDS and words >= MIN_WORD_SHARE * len(tokens) else None


def sentence_pieces(text: str, min_chars: int, max_chars: int) -> list[str]:
    """Consecutive sentences of text packed into pieces: a piece ends once it has min_chars or
    the next sentence would take it past max_chars. Pieces that fail `prose` are left out."""
    pieces, current = [], ""
    for sentence in _SENTENCE_END.split(text):
        if current and (len(current) >= min_chars or len(current) + len(sentence) >= max_chars):
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    pieces.append(current)
    return [p for p in map(prose, pieces) if p]


def _docstrings(roots: list[Path], stats: Counter) -> Iterator[tuple[str, str]]:
    """(top-level package, docstring) for every module, class and function, in path order."""
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            stats["files"] += 1
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # invalid escapes in old code
                    tree = ast.parse(path.read_bytes())
            except (SyntaxError, ValueError, RecursionError):
                stats["files unparsable"] += 1
                continue
            package = path.relative_to(root).parts[0].removesuffix(".py")
            for node in ast.walk(tree):
                if isinstance(node, _DOCUMENTED):
                    doc = ast.get_docstring(node)
                    if doc:
                        stats["docstrings"] += 1
                        yield package, doc


def build_pool(roots: list[Path], seed: int) -> tuple[list[tuple[str, str, str]], dict]:
    """Shuffled unique (text, package, origin) passages and counts of what was kept and why."""
    stats: Counter = Counter()
    seen: set[str] = set()
    pool: list[tuple[str, str, str]] = []

    def keep(text: str, package: str, origin: str) -> None:
        if text in seen:
            stats["duplicates dropped"] += 1
        else:
            seen.add(text)
            pool.append((text, package, origin))

    for package, doc in _docstrings(roots, stats):
        for paragraph in _PARAGRAPH_BREAK.split(doc):
            stats["paragraphs"] += 1
            text = prose(paragraph)
            if text:
                keep(text, package, "paragraph")
                continue
            flat = _SPACE.sub(" ", paragraph).strip()
            if len(flat) > MAX_CHARS and not any(
                _STRUCTURE_LINE.match(line) for line in paragraph.splitlines()
            ):
                for piece in sentence_pieces(flat, LONG_CHUNK_CHARS, LONG_CHUNK_CHARS):
                    keep(piece, package, "long paragraph cut")
    order = np.random.default_rng(seed).permutation(len(pool))
    origins = Counter(origin for _, _, origin in pool)
    report = {
        **stats,
        "unique paragraphs (40-400 chars, prose)": origins["paragraph"],
        "passages cut from longer paragraphs": origins["long paragraph cut"],
        "pool": len(pool),
        "packages": len({package for _, package, _ in pool}),
    }
    return [pool[i] for i in order], report


def grow(pool: list[tuple[str, str, str]], n: int) -> tuple[list[tuple[str, str, str]], int]:
    """The first n passages, splitting passages from the pool's end into sentences as needed;
    returns them and how many passages were split."""
    if n <= len(pool):
        return pool[:n], 0
    seen = {text for text, _, _ in pool}
    kept, tail, split = list(pool), [], 0
    while kept and len(kept) + len(tail) < n:
        item = kept.pop()
        text, package, _ = item
        pieces = [p for p in sentence_pieces(text, MIN_CHARS, MAX_CHARS) if p not in seen]
        if len(pieces) < 2:
            tail.insert(0, item)
            continue
        seen.update(pieces)
        split += 1
        tail[:0] = [(p, package, "sentence") for p in pieces]
    docs = kept + tail
    if len(docs) < n:
        raise SystemExit(f"only {len(docs):,} documents can be made from the docstrings, not {n:,}")
    return docs[:n], split


def _write(path: Path, rows: list[tuple[str, str, str]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "text", "label", "origin"])
        writer.writerows((f"d{i}", *row) for i, row in enumerate(rows))
    tmp.replace(path)


def read(path: Path) -> list[tuple[str, str, str]]:
    """(text, label, origin) rows of a corpus CSV."""
    with path.open(newline="", encoding="utf-8") as f:
        return [(r["text"], r["label"], r["origin"]) for r in csv.DictReader(f)]


def corpora(sizes: list[int], cache: Path, seed: int = 0) -> tuple[dict[int, Path], dict]:
    """A CSV (id, text, label, origin) per size, built once and reused, plus a report."""
    roots = site_packages()
    folder = cache / f"docstrings-{_packages_key(roots)}-seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    pool_csv, report_json = folder / "pool.csv", folder / "pool.json"
    if pool_csv.exists() and report_json.exists():
        pool, report = read(pool_csv), json.loads(report_json.read_text())
    else:
        print(f"building the docstring pool from {', '.join(map(str, roots))} …", flush=True)
        pool, report = build_pool(roots, seed)
        _write(pool_csv, pool)
        report_json.write_text(json.dumps(report, indent=1))
    report = {**report, "folder": str(folder), "sizes": {}}
    paths = {}
    for n in sizes:
        docs, split = grow(pool, n)
        paths[n] = folder / f"docstrings-{n}.csv"
        if not paths[n].exists():
            _write(paths[n], docs)
        report["sizes"][n] = {
            **Counter(origin for _, _, origin in docs),
            "passages split into sentences": split,
            "packages": len({package for _, package, _ in docs}),
        }
    return paths, report
