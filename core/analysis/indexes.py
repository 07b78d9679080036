"""Exact search indexes, one per stored precision, each searching with a kernel of its own
precision: float32 points by BLAS; int8 codes (only the codes held: decoded tile by tile for a
batch, multiplied as int8 codes for one query); sign bits by Hamming distance over packed bits
(faiss's binary flat index, popcount); and Hamming candidates rescored with the float32 points.
One index gives a configuration's ranked lists (its quality) and its timings, so a time shown is
that of the search whose quality is shown.

Every index ranks as the stored precision's scores do (core.analysis.measures.scores of the
points the codes stand for), best first, equal scores to the lower row."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from core.analysis.measures import unit_prefixes
from core.analysis.search import load_faiss, top_k
from core.analysis.top_k import best_rows
from core.runtime.machine import on_threads

PRECISIONS = ("float32", "int8", "binary", "binary+rescore")
RESCORE_FACTOR = 4  # binary+rescore rescores RESCORE_FACTOR × depth Hamming candidates
Clock = Callable[[], float]


# ---------------------------------------------------------------- codes


def int8_ranges(points: np.ndarray) -> np.ndarray:
    """Per-dimension (min, max) of `points`, (2, d) float32: the calibration of int8 codes."""
    return np.vstack([points.min(axis=0), points.max(axis=0)]).astype(np.float32)


def int8_codes(points: np.ndarray, ranges: np.ndarray) -> np.ndarray:
    """int8 codes of `points` as sentence-transformers' quantize_embeddings(…, "int8", ranges)
    makes them: 256 equal buckets per dimension between its min and max, values outside
    clipped to the end buckets."""
    starts = ranges[0]
    steps = (ranges[1] - starts) / 255
    steps = np.where(steps == 0, 1, steps)
    buckets = np.clip(np.floor((np.asarray(points, np.float32) - starts) / steps), 0, 255)
    return (buckets - 128).astype(np.int8)


def int8_decoded(codes: np.ndarray, ranges: np.ndarray, measure: str) -> np.ndarray:
    """The points int8 codes stand for: their buckets' centres, renormalised for cosine."""
    steps = (ranges[1] - ranges[0]) / 255
    decoded = (codes.astype(np.float32) + 128.5) * steps + ranges[0]
    return unit_prefixes(decoded, decoded.shape[1]) if measure == "cosine" else decoded


def sign_bits(points: np.ndarray) -> np.ndarray:
    """Packed sign bits (1 where positive), ceil(d / 8) bytes per point, last byte zero-padded:
    sentence-transformers' "ubinary"."""
    return np.packbits(np.asarray(points) > 0, axis=1)


# ---------------------------------------------------------------- kernels


@contextmanager
def _faiss_threads(count: int) -> Iterator[None]:
    faiss = load_faiss()
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(count)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _without_own(found: np.ndarray, depth: int, exclude: np.ndarray | None) -> np.ndarray:
    """Lists found one row deeper than wanted, each query's own row (exclude, -1: none) taken
    out and cut to `depth`: the best `depth` others, in the order found."""
    if exclude is None:
        return found[:, :depth].astype(np.int64)
    kept = found != np.asarray(exclude)[:, None]
    order = np.argsort(~kept, axis=1, kind="stable")[:, :depth]
    return np.take_along_axis(found, order, axis=1).astype(np.int64)


# ---------------------------------------------------------------- indexes


class FloatIndex:
    """float32 points, scored by BLAS: a batch in tiles merged into running top-k lists
    (core.analysis.brute_force), one query as one matrix-vector product and a partial sort
    (core.analysis.search.top_k, as the Search page runs it)."""

    precision = "float32"
    kernel = "float32 products (BLAS)"

    def __init__(self, points: np.ndarray, measure: str) -> None:
        self.points = np.ascontiguousarray(points, dtype=np.float32)
        self.measure = measure

    @property
    def bytes(self) -> int:
        return self.points.nbytes

    def prepare(self, queries: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(queries, dtype=np.float32)

    def search(self, queries: np.ndarray, depth: int, exclude: np.ndarray | None = None):
        from core.analysis.brute_force import search_queries

        found, _ = search_queries(self.points, queries, depth, self.measure, own=exclude)
        return found.astype(np.int64)

    def search_one(self, query: np.ndarray, depth: int, exclude: int | None = None) -> np.ndarray:
        return top_k(self.points, query, depth, self.measure, exclude).rows


class Int8Index:
    """int8 codes (sentence-transformers' scalar quantization, ranges calibrated on the
    corpus), ranked as their decoded points (int8_decoded) score against the query's own
    decoded codes. Only the codes are held, with one float per row (its decoded length, for
    cosine and euclidean). A batch decodes the codes tile by tile into BLAS; one query
    multiplies the int8 codes by float32 weights (the query scaled by each dimension's bucket
    width) and adds what the buckets' offsets contribute: the same scores, rounded otherwise."""

    precision = "int8"
    kernel = "int8 codes (batch: decoded per tile; one query: int8 × float32 weights)"

    def __init__(self, points: np.ndarray, measure: str) -> None:
        self.measure = measure
        self.ranges = int8_ranges(points)
        self.codes = int8_codes(points, self.ranges)
        self.steps = (self.ranges[1] - self.ranges[0]) / np.float32(255)
        self.offsets = (self.steps * np.float32(128.5) + self.ranges[0]).astype(np.float32)
        self.row_factor = None  # cosine: 1 / length; euclidean: squared length; dot: none
        if measure != "dot":
            # decoded a piece at a time, so no float32 copy of the corpus is made
            pieces = np.array_split(self.codes, max(1, -(-len(self.codes) // 4096)))
            decoded = (int8_decoded(piece, self.ranges, "dot") for piece in pieces)
            squared = np.concatenate([np.einsum("ij,ij->i", x, x) for x in decoded])
            if measure == "cosine":
                lengths = np.sqrt(squared)
                self.row_factor = (1 / np.where(lengths > 0, lengths, 1)).astype(np.float32)
            else:
                self.row_factor = squared.astype(np.float32)

    @property
    def bytes(self) -> int:
        extra = 0 if self.row_factor is None else self.row_factor.nbytes
        return self.codes.nbytes + extra + self.ranges.nbytes

    def prepare(self, queries: np.ndarray) -> np.ndarray:
        """The queries as int8 stores them: coded with the corpus's ranges, then decoded."""
        return int8_decoded(int8_codes(queries, self.ranges), self.ranges, self.measure)

    def search(self, queries: np.ndarray, depth: int, exclude: np.ndarray | None = None):
        from core.analysis.brute_force import search_queries

        found, _ = search_queries(
            self.codes, queries, depth, self.measure, own=exclude, decode=self._decode
        )
        return found.astype(np.int64)

    def _decode(self, tile: np.ndarray) -> np.ndarray:
        return int8_decoded(tile, self.ranges, self.measure)

    def search_one(self, query: np.ndarray, depth: int, exclude: int | None = None) -> np.ndarray:
        return best_rows(self.scores_one(query), depth, exclude)

    def scores_one(self, query: np.ndarray) -> np.ndarray:
        """One prepared query's scores against every row, from the int8 codes."""
        query = np.ascontiguousarray(query, dtype=np.float32)
        from core.analysis.int8_kernel import code_products  # numba: imported when first used

        found = np.empty(self.codes.shape[0], dtype=np.float32)
        code_products(self.codes, (self.steps * query).astype(np.float32), found)
        found += np.float32(self.offsets @ query)
        if self.measure == "cosine":
            found *= self.row_factor
        elif self.measure == "euclidean":
            squared = np.float32(query @ query) + self.row_factor - 2 * found
            found = -np.sqrt(np.clip(squared, 0, None))
        return found


def code_width(packed: int) -> int:
    """Bytes per binary code as the index holds it: `packed` bytes of sign bits widened with
    zero bytes to the next width faiss has a dedicated popcount loop for (4, 8, 16, 20, 32, 64
    bytes, then multiples of 8); its loop for other widths takes a few times longer per row.
    Zero bits add nothing to any Hamming distance."""
    for width in (4, 8, 16, 20, 32, 64):
        if packed <= width:
            return width
    return -(-packed // 8) * 8


class BinaryIndex:
    """Sign bits packed 8 to a byte (widened with zero bytes to code_width), searched by Hamming
    distance (faiss IndexBinaryFlat, popcount). All codes have one length, so Hamming distance
    ranks exactly as the ±1 codes' dot product, cosine or euclidean distance; faiss keeps equal
    distances in row order."""

    precision = "binary"
    kernel = "Hamming distance over packed bits (faiss IndexBinaryFlat)"

    def __init__(self, points: np.ndarray, measure: str) -> None:
        faiss = load_faiss()
        self.width = code_width(-(-points.shape[1] // 8))
        self.bits = self.prepare(points)
        self.index = faiss.IndexBinaryFlat(8 * self.width)
        self.index.add(self.bits)

    @property
    def bytes(self) -> int:
        return self.bits.nbytes

    def prepare(self, queries: np.ndarray) -> np.ndarray:
        packed = sign_bits(queries)
        widened = np.zeros((len(packed), self.width), dtype=np.uint8)
        widened[:, : packed.shape[1]] = packed
        return widened

    def search(self, queries: np.ndarray, depth: int, exclude: np.ndarray | None = None):
        _, found = self.index.search(queries, depth + (exclude is not None))
        return _without_own(found, depth, exclude)

    def search_one(self, query: np.ndarray, depth: int, exclude: int | None = None) -> np.ndarray:
        own = None if exclude is None else np.array([exclude])
        _, found = self.index.search(query[None, :], depth + (exclude is not None))
        return _without_own(found, depth, own)[0]


class RescoredIndex:
    """binary+rescore in its two steps: RESCORE_FACTOR × depth candidates by Hamming distance,
    then those rows' float32 points scored against the float32 query, best first (equal scores
    keep the Hamming order). The bits are the index; the float32 points must be kept too, in
    memory or on disk: rescoring reads RESCORE_FACTOR × depth of them per query."""

    precision = "binary+rescore"
    kernel = "Hamming candidates (faiss IndexBinaryFlat), then float32 rescoring"

    def __init__(self, binary: BinaryIndex, floats: np.ndarray, measure: str) -> None:
        self.binary = binary
        self.floats = np.ascontiguousarray(floats, dtype=np.float32)
        self.measure = measure

    @property
    def bytes(self) -> int:
        return self.binary.bytes

    @property
    def kept_bytes(self) -> int:
        return self.floats.nbytes

    def prepare(self, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        floats = np.ascontiguousarray(queries, dtype=np.float32)
        return self.binary.prepare(floats), floats

    def candidates(self, depth: int, exclude: bool) -> int:
        """Candidates rescored per query for a list of `depth`."""
        return min(RESCORE_FACTOR * depth, self.floats.shape[0] - exclude)

    def search(self, queries, depth: int, exclude: np.ndarray | None = None) -> np.ndarray:
        bits, floats = queries
        wanted = self.candidates(depth, exclude is not None)
        found = self.binary.search(bits, wanted, exclude)
        return rescore(found, self.floats, floats, depth, self.measure)

    def search_one(self, query, depth: int, exclude: int | None = None) -> np.ndarray:
        bits, floats = query
        found = self.binary.search_one(bits, self.candidates(depth, exclude is not None), exclude)
        return rescore(found[None, :], self.floats, floats[None, :], depth, self.measure)[0]


def rescore(
    candidates: np.ndarray, stored: np.ndarray, queries: np.ndarray, depth: int, measure: str
) -> np.ndarray:
    """Candidate rows (queries × c) reordered by their float scores (`stored`, `queries` from
    measures.prefix_points), best first, cut to `depth`; equal scores keep the candidates'
    order."""
    gathered = stored[candidates]  # (q, c, d)
    if measure == "euclidean":
        found = -np.linalg.norm(gathered - queries[:, None, :], axis=2)
    else:
        found = np.einsum("qcd,qd->qc", gathered, queries)
    order = np.argsort(-found, axis=1, kind="stable")[:, :depth]
    return np.take_along_axis(candidates, order, axis=1)


Index = FloatIndex | Int8Index | BinaryIndex | RescoredIndex


def build_indexes(points: np.ndarray, precisions, measure: str) -> dict[str, Index]:
    """One index per precision of the float32 `points` (measures.prefix_points of one size);
    binary and binary+rescore share their bits."""
    built: dict[str, Index] = {}
    binary = None
    for precision in precisions:
        if precision == "float32":
            built[precision] = FloatIndex(points, measure)
        elif precision == "int8":
            built[precision] = Int8Index(points, measure)
        elif precision in ("binary", "binary+rescore"):
            binary = binary or BinaryIndex(points, measure)
            built[precision] = (
                binary if precision == "binary" else RescoredIndex(binary, points, measure)
            )
        else:
            raise ValueError(f"unknown precision {precision!r}; choose from {list(PRECISIONS)}")
    return built


# ---------------------------------------------------------------- timing


@dataclass(frozen=True)
class Speed:
    """How fast one index answers: single queries one at a time on one core (what a person
    waits for), and a batch of queries on every core."""

    ms_p50: float
    ms_p95: float
    queries_per_second: float
    batch: int


def _pick(queries, rows: int | slice):
    if isinstance(queries, tuple):
        return tuple(q[rows] for q in queries)
    return queries[rows]


def _count(queries) -> int:
    return len(queries[0] if isinstance(queries, tuple) else queries)


def single_query_ms(
    index: Index,
    queries,
    depth: int,
    *,
    exclude: np.ndarray | None = None,
    singles: int = 10,
    repeats: int = 3,
    seed: int = 0,
    clock: Clock = time.perf_counter,
) -> np.ndarray:
    """Milliseconds of `repeats` timed runs of each of `singles` seeded queries (prepared by
    the index), searched one at a time on one core after one untimed run each (which also
    compiles or builds what the first search needs)."""
    count = _count(queries)
    picked = np.random.default_rng(seed).choice(count, size=min(singles, count), replace=False)
    timings = []

    def run(_: int) -> None:
        with _faiss_threads(1):
            for q in picked:
                one = _pick(queries, int(q))
                own = None if exclude is None or exclude[q] < 0 else int(exclude[q])
                index.search_one(one, depth, own)
                for _ in range(repeats):
                    start = clock()
                    index.search_one(one, depth, own)
                    timings.append((clock() - start) * 1000)

    on_threads(run, 1)  # BLAS on this thread alone
    return np.array(timings)


def timed_search(
    index: Index,
    queries,
    depth: int,
    *,
    exclude: np.ndarray | None = None,
    clock: Clock = time.perf_counter,
) -> tuple[np.ndarray, float]:
    """Every query's ranked list from one batch search on every core, and that search's
    queries per second, timed after an untimed search of the first query (which compiles or
    loads what the kernel needs)."""
    index.search(_pick(queries, slice(0, 1)), depth, None if exclude is None else exclude[:1])
    start = clock()
    found = index.search(queries, depth, exclude)
    seconds = clock() - start
    return found, _count(queries) / seconds if seconds > 0 else float("nan")


def speed(single_ms: np.ndarray, queries_per_second: float, batch: int) -> Speed:
    """Median and 95th percentile of single-query times, with the batch's throughput."""
    return Speed(
        float(np.median(single_ms)),
        float(np.percentile(single_ms, 95)),
        float(queries_per_second),
        batch,
    )


def kept_for_rescoring(index: Index) -> str:
    """What an index needs beside itself, in words: the float32 points binary+rescore reads."""
    if isinstance(index, RescoredIndex):
        n, d = index.floats.shape
        return f"float32 vectors ({d} × 4 B each, {n:,} rows), in memory or on disk"
    return "nothing"
