"""The one orchestration: corpus → embeddings → ordering → per-size views → maps → fidelity and
lineage. The CLI and the app's pages both drive a Pipeline; it keeps every result in an injected
ResultStore under content keys, and reports long steps through progress callbacks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from core.analysis.fidelity import fidelity_table
from core.analysis.keywords import TermCounts, community_names
from core.analysis.knn import Neighbours, knn
from core.analysis.ladder import (
    DimensionView,
    GraphSettings,
    Partition,
    RecallReference,
    compute_view,
    default_dims,
    first_k,
    fit_ladder,
    recall_reference,
)
from core.analysis.lineage import lineage_inputs, step_summary
from core.analysis.measures import prefix_points, ranks_alike, unit_prefixes
from core.analysis.ordering import Ordered, order_dimensions
from core.analysis.retrieval import retrieval_table
from core.embed.models import Encoder, ModelSpec, embed, embed_queries
from core.io.corpus import Corpus
from core.io.queries import QuerySet, judgements, query_rows
from core.io.vectors import UPLOADED, UploadedVectors
from core.runtime.cache import array_digest, cache_key, texts_digest
from core.runtime.progress import Progress, silent
from core.runtime.store import ResultStore
from core.schedule.steps import MAP, VIEW, Step, ladder_steps, runnable
from core.viz.layout import (
    UMAP_NEIGHBOURS,
    needs_sketch,
    pca_layout,
    size_layout,
    sketch_layout,
)
from core.viz.map_pool import MapPool, map_workers

# makes one size's map elsewhere (e.g. core.schedule.map_worker), as core.viz.layout.size_layout
# does from (vectors, dim, full-size map or None, the size's cosine neighbour lists)
Mapper = Callable[[np.ndarray, int, np.ndarray | None, Neighbours], np.ndarray]
DEFAULT_SETTINGS = GraphSettings()


@dataclass(frozen=True)
class Choice:
    """What the user picked: corpus, model and dimension ordering."""

    corpus: Corpus
    spec: ModelSpec
    ordering: str  # "native" or "pca"

    @cached_property
    def fingerprint_without_ordering(self) -> str:
        """Content key of the raw embeddings: the texts and ids (not the labels), the model
        (uploaded vectors carry their content digest in the key) and the model's prompt."""
        return cache_key(
            {
                "texts": self.corpus.documents_fingerprint,
                "model": self.spec.key,
                "prompt": self.spec.prompt,
                "recipe": self.spec.recipe,
            }
        )

    @cached_property
    def fingerprint(self) -> str:
        """Content key for every cached result of this choice, ordering included."""
        return cache_key({"raw": self.fingerprint_without_ordering, "ordering": self.ordering})


def _map_here(
    vectors: np.ndarray, dim: int, full_layout: np.ndarray | None, lists: Neighbours
) -> np.ndarray:
    """One size's map made in this process (the Mapper used when none is given)."""
    return size_layout(vectors, dim, full_layout=full_layout, neighbours=lists)


def default_ordering(spec: ModelSpec) -> str:
    """PCA ordering for models not trained with Matryoshka loss, native order for those that are."""
    return "native" if spec.is_matryoshka else "pca"


class ResultKeys:
    """Every store key of one pipeline, one method per result kind. A key names exactly what
    its value depends on, so a result is found again whatever else changed (a label, a graph
    setting that a map does not use) and never found for other inputs."""

    def __init__(self, pipe: Pipeline):
        self._pipe = pipe

    @property
    def _choice(self) -> Choice:
        return self._pipe.choice

    @property
    def _ladder(self) -> tuple:
        # community ids are matched down the ladder, so per-size views depend on every size
        pipe = self._pipe
        return (pipe.fingerprint, tuple(pipe.dims), pipe.settings)

    def raw(self) -> tuple:
        return ("raw", self._choice.fingerprint_without_ordering)

    def ordered(self) -> tuple:
        return ("ordered", self._choice.fingerprint)

    def terms(self) -> tuple:
        return ("terms", self._choice.corpus.documents_fingerprint)

    def knn(self, dim: int, k: int, measure: str) -> tuple:
        return ("knn", self._choice.fingerprint, dim, k, measure)

    def ranks_alike(self, dim: int) -> tuple:
        return ("ranks-alike", self._choice.fingerprint, dim)

    def recall_reference(self) -> tuple:
        settings = self._pipe.settings
        return ("recall-reference", self._choice.fingerprint, settings.k, settings.measure)

    def view(self, dim: int) -> tuple:
        return ("view", *self._ladder, dim)

    def layout(self, dim: int) -> tuple:
        # every size's map starts from the full-size map alone, so no other size matters
        return ("layout", self._choice.fingerprint, dim)

    def sketch(self, dim: int) -> tuple:
        return ("sketch", self._choice.fingerprint, dim)

    def pca_map(self, dim: int) -> tuple:
        return ("pca-map", self._choice.fingerprint, dim)

    def hovers(self) -> tuple:
        return ("hover", self._choice.corpus.fingerprint)  # labels and ids show in the hover

    def colour_columns(self) -> tuple:
        corpus = self._choice.corpus
        return ("colour-columns", corpus.fingerprint, *(c.digest for c in corpus.columns))

    def matches(self, query: str) -> tuple:
        return ("matches", self._choice.corpus.documents_fingerprint, query)

    def separation(self, dim: int, column: str) -> tuple:
        """How one column's categories (`column`: its digest) separate at one size."""
        return ("separation", *self._ladder, dim, column)

    def fidelity(self, k: int) -> tuple:
        return ("fidelity", *self._ladder, k)

    def per_ladder(self, what: str) -> tuple:
        """A result drawn from every size's communities (lineage, Sankey, animation)."""
        return (what, *self._ladder)

    def network(self, dim: int, is_umap: bool) -> tuple:
        return ("network", *self._ladder, dim, is_umap)

    def orderings(self, k: int, share: float) -> tuple:
        pipe = self._pipe
        return (
            "orderings",
            self._choice.fingerprint_without_ordering,
            tuple(pipe.dims),
            k,
            share,
            pipe.measure,
        )

    def pair(self, a: int, b: int) -> tuple:
        return ("pair", self._choice.fingerprint, tuple(self._pipe.dims), a, b)

    def typed_pair(self, text_a: str, text_b: str) -> tuple:
        return ("pair-typed", self._choice.fingerprint, tuple(self._pipe.dims), text_a, text_b)

    def query_vectors(self, query_set: str) -> tuple:
        # the raw vectors of a query set's queries, embedded with the model
        return ("query-vectors", self._choice.fingerprint_without_ordering, query_set)

    def retrieval(self, query_set: QuerySet, k: int) -> tuple:
        """A retrieval table: the corpus's vectors and where they came from, the query set, its
        answers (the labels themselves, for labels as answers), the queries' vectors and the
        search settings."""
        pipe, corpus = self._pipe, self._choice.corpus
        answers = texts_digest(corpus.labels or ()) if query_set.from_labels else ""
        return (
            "retrieval",
            self._choice.fingerprint,
            pipe.vectors_origin,
            tuple(pipe.dims),
            k,
            pipe.measure,
            query_set.fingerprint,
            answers,
            pipe.query_origin(query_set),
        )

    def query_set(self, k: int, queries: int, approximate: bool) -> tuple:
        pipe = self._pipe
        return (
            "search-set",
            self._choice.fingerprint,
            tuple(pipe.dims),
            k,
            pipe.measure,
            queries,
            approximate,
        )


class Pipeline:
    """One choice through one ladder and one set of graph settings, computed lazily and kept in
    `store` (shared across sessions and reruns) under `keys`."""

    def __init__(
        self,
        choice: Choice,
        *,
        settings: GraphSettings = DEFAULT_SETTINGS,
        ladder: Sequence[int] = (),
        store: ResultStore | None = None,
        uploaded: UploadedVectors | None = None,
        encoder: Encoder | None = None,
        mapper: Mapper | None = None,
        query_set: QuerySet | None = None,
    ):
        self.choice = choice
        self.settings = settings
        self.ladder = tuple(ladder)
        self.store = store if store is not None else ResultStore()
        self.uploaded = uploaded
        self.encoder = encoder  # embeds the corpus elsewhere (e.g. on a Ray cluster)
        self.mapper = mapper  # makes maps elsewhere (e.g. on the app's map worker)
        self.query_set = query_set  # queries with known answers, kept in projects
        self.keys = ResultKeys(self)
        self._partitions: dict[int, Partition] = {}  # found elsewhere, matched here
        # query vectors given with adopt_query_vectors, by query set: (digest, raw vectors);
        # kept here, not in the shared store, where another session's would replace them
        self._query_vectors: dict[str, tuple[str, np.ndarray]] = {}

    @property
    def corpus(self) -> Corpus:
        return self.choice.corpus

    @property
    def fingerprint(self) -> str:
        return self.choice.fingerprint

    def raw(self, progress: Progress = silent) -> np.ndarray:
        """Full-size embeddings in the model's own order (disk-cached by embed)."""
        spec = self.choice.spec
        if self.uploaded is not None and self.uploaded.spec == spec:  # uploaded or a project's
            return self.store.memo(self.keys.raw(), lambda: self.uploaded.for_corpus(self.corpus))
        if spec.source == UPLOADED:
            raise ValueError("uploaded vectors must be handed to the pipeline")

        def report(done: int, total: int) -> None:
            progress(done / total, f"Embedding with {spec.key}: {done:,}/{total:,} documents")

        return self.store.memo(
            self.keys.raw(),
            lambda: embed(self.corpus.texts, spec, progress=report, encoder=self.encoder),
        )

    def ordered(self, progress: Progress = silent) -> Ordered:
        """Embeddings in the chosen ordering."""
        return self.store.memo(
            self.keys.ordered(), lambda: order_dimensions(self.raw(progress), self.choice.ordering)
        )

    @property
    def vectors(self) -> np.ndarray:
        return self.ordered().vectors

    @cached_property
    def dims(self) -> list[int]:
        """The sizes to explore, largest first: the given ladder fitted to the full size, else
        the model's default ladder."""
        full = self.vectors.shape[1]
        if self.ladder:
            return fit_ladder(self.ladder, full)
        return default_dims(full, self.choice.spec.matryoshka_dims)

    @property
    def full(self) -> int:
        return self.dims[0]

    def terms(self) -> TermCounts:
        return self.store.memo(self.keys.terms(), lambda: TermCounts(self.corpus.texts))

    @property
    def measure(self) -> str:
        return self.settings.measure

    def list_k(self, measure: str) -> int:
        """How many neighbours each size's lists hold: enough for the graph and, for cosine (the
        maps' measure), for UMAP, so a change of graph settings or a map never searches again."""
        return max(self.settings.k, UMAP_NEIGHBOURS - 1) if measure == "cosine" else self.settings.k

    def neighbours(self, dim: int, measure: str | None = None) -> Neighbours:
        """One size's kNN lists under `measure` (default: the settings'), at list_k: computed
        once per size and measure, whatever the other graph settings."""
        measure = measure or self.measure
        k = self.list_k(measure)
        return self.store.memo(
            self.keys.knn(dim, k, measure),
            lambda: knn(prefix_points(self.vectors, dim, measure), k, measure),
        )

    def ranks_alike(self, dim: int) -> bool:
        """True when every measure ranks neighbours alike at this size (see measures)."""
        return self.store.memo(self.keys.ranks_alike(dim), lambda: ranks_alike(self.vectors, dim))

    def _reference(self) -> RecallReference:
        return self.store.memo(
            self.keys.recall_reference(),
            lambda: recall_reference(
                self.vectors, self.neighbours(self.full), self.settings.k, self.measure
            ),
        )

    def view(self, dim: int) -> DimensionView:
        """Graph, communities, keywords and recall at one size (the sizes above it first)."""
        position = self.dims.index(dim)
        larger = self.view(self.dims[position - 1]).communities if position else None
        return self.store.memo(
            self.keys.view(dim),
            lambda: compute_view(
                self.vectors,
                dim,
                self.neighbours(dim),
                self.terms(),
                self.settings,
                reference=self._reference(),
                larger=larger,
                partition=self._partitions.pop(dim, None),
            ),
        )

    def views(self, progress: Progress = silent) -> dict[int, DimensionView]:
        """Every size's view, largest first."""
        views = {}
        for step, dim in enumerate(self.dims, start=1):
            views[dim] = self.view(dim)
            progress(
                step / len(self.dims),
                f"Graph and communities: {step}/{len(self.dims)} ({dim} dims)",
            )
        return views

    def ready_views(self) -> dict[int, DimensionView]:
        """The views already computed, without computing any."""
        return self._ready(self.keys.view)

    def names(self, dim: int) -> dict[int, str]:
        """Display names of the communities at one size ("3 · serve, racket, court")."""
        return community_names(self.view(dim).keywords)

    def layout(self, dim: int) -> np.ndarray:
        """One size's UMAP map (the full-size map first, which every other one starts from).
        Maps are drawn from cosine neighbours whatever the measure: the picture of the embedding
        stays put when only the graph's measure changes."""
        full = None if dim == self.full else self.layout(self.full)
        # the full size starts from its sketch, when it has one, as other sizes from the full map
        start = self.sketch() if dim == self.full else full
        make = self.mapper or _map_here
        return self.store.memo(
            self.keys.layout(dim),
            lambda: make(self.vectors, dim, start, self.neighbours(dim, "cosine")),
        )

    def sketch(self) -> np.ndarray | None:
        """The full-size map's first sketch (core.viz.layout.sketch_layout) for a corpus large
        enough to need one, else None; made before the full kNN lists, which it does not use."""
        if not needs_sketch(self.vectors.shape[0]):
            return None
        if self.store.get(self.keys.layout(self.full)) is not None:
            return None  # the map it would start is made (or was opened from a project)
        return self.store.memo(
            self.keys.sketch(self.full), lambda: sketch_layout(self.vectors, self.full)
        )

    def stored_layouts(self) -> dict[int, np.ndarray]:
        """UMAP maps already computed for this ladder."""
        return self._ready(self.keys.layout)

    def _ready(self, key: Callable[[int], tuple]) -> dict[int, object]:
        found = {d: self.store.get(key(d)) for d in self.dims}
        return {d: value for d, value in found.items() if value is not None}

    def done_steps(self) -> set[Step]:
        """The heavy steps (core.schedule.steps) whose results are in the store."""
        return {(VIEW, d) for d in self.ready_views()} | {(MAP, d) for d in self.stored_layouts()}

    def layouts(self, progress: Progress = silent) -> dict[int, np.ndarray]:
        """Every size's UMAP map, full size first, then the others here and on worker processes
        at once (core.viz.map_pool: one per spare core, for corpora large enough to gain)."""
        maps = [step for step in ladder_steps(self.dims) if step[0] == MAP]
        done = self.done_steps()
        missing = [dim for _, dim in maps if (MAP, dim) not in done]
        finished = []
        lock = threading.Lock()

        def adopt(dim: int, coords: np.ndarray | None = None) -> None:
            with lock:
                if coords is not None:
                    self.adopt_layout(dim, coords)
                finished.append(dim)
                progress(
                    len(finished) / len(missing),
                    f"UMAP map {len(finished)}/{len(missing)} done ({dim} dims)",
                )

        def next_dim(taken: Collection[int]) -> int | None:
            step = runnable(maps, self.dims, done | {(MAP, self.full)}, {(MAP, d) for d in taken})
            return None if step is None else step[1]

        workers = map_workers(self.vectors.shape[0], len(missing) - (self.full in missing))
        with MapPool(workers) as pool:  # its workers load their kernels while the full size maps
            full = self.layout(self.full)
            if self.full in missing:
                adopt(self.full)
            pool.share(
                self.vectors, full, lambda dim: self.neighbours(dim, "cosine"), next_dim, adopt
            )
        return self.stored_layouts()

    def map_coords(self, dim: int) -> tuple[np.ndarray, bool]:
        """The UMAP map for dim when ready (and True), else a preview (and False): the full
        size's sketch when made, else an instant PCA map."""
        coords = self.store.get(self.keys.layout(dim))
        if coords is not None:
            return coords, True
        sketch = self.sketched(dim)
        if sketch is not None:
            return sketch, False
        preview = self.store.memo(
            self.keys.pca_map(dim), lambda: pca_layout(unit_prefixes(self.vectors, dim))
        )
        return preview, False

    def sketched(self, dim: int) -> np.ndarray | None:
        """The sketch of dim's map if one is made (only the full size has one), else None."""
        return self.store.get(self.keys.sketch(dim))

    def fidelity(self, k: int | None = None) -> pd.DataFrame:
        """Recall, rank correlation, community agreement, storage and search time per size."""
        k = k or self.settings.k
        views = self.views()
        return self.store.memo(
            self.keys.fidelity(k),
            lambda: fidelity_table(
                self.vectors,
                self.dims,
                k=k,
                communities={d: v.communities for d, v in views.items()},
                neighbours={d: first_k(self.neighbours(d), k) for d in self.dims}
                if k <= self.list_k(self.measure)
                else None,
                measure=self.measure,
            ),
        )

    def lineage(self) -> tuple[list[int], dict[int, np.ndarray], dict[int, dict[int, str]]]:
        """(sizes largest first, community labels per size, display names per size)."""
        return lineage_inputs(self.views())

    def per_ladder(self, what: str, compute: Callable[[], object]):
        """A result computed from every size's communities, kept for this ladder and settings
        (the Lineage page reruns on every widget change)."""
        return self.store.memo(self.keys.per_ladder(what), compute)

    def lineage_summary(self) -> pd.DataFrame:
        """The nesting/AMI table per step (see core.analysis.lineage.step_summary)."""
        dims, labels, _ = self.lineage()
        return self.per_ladder("lineage-summary", lambda: step_summary(dims, labels))

    @property
    def vectors_origin(self) -> str:
        """Where the corpus's vectors come from when the model's key does not say it: the digest
        of vectors handed over under a model's name (a project's); "" when the model embedded
        them or the key is the uploaded vectors' own (it names their content)."""
        given = self.uploaded
        if given is None or given.spec != self.choice.spec or given.spec.source == UPLOADED:
            return ""
        return given.digest

    def query_origin(self, query_set: QuerySet) -> str:
        """Where a query set's vectors come from: the corpus's rows (labels as answers), the
        vectors adopted for it (their digest), or the model."""
        if query_set.from_labels:
            return "rows"
        adopted = self._query_vectors.get(query_set.fingerprint)
        return adopted[0] if adopted else "model"

    def raw_query_vectors(self, query_set: QuerySet) -> np.ndarray:
        """A query file's vectors in the model's own order: the ones given with
        adopt_query_vectors (uploaded corpus vectors have no model), else the queries' texts
        embedded with the model's query prompt."""
        adopted = self._query_vectors.get(query_set.fingerprint)
        if adopted is not None:
            return adopted[1]
        return self.store.memo(
            self.keys.query_vectors(query_set.fingerprint),
            lambda: embed_queries(query_set.texts, self.choice.spec),
        )

    def query_vectors(self, query_set: QuerySet) -> np.ndarray:
        """A query set's vectors in the corpus's ordering: the asked documents' own vectors for
        labels as answers, else raw_query_vectors."""
        rows = query_rows(query_set, self.corpus)
        if rows is not None:
            return self.vectors[rows]
        return self.ordered().transform(self.raw_query_vectors(query_set))

    def retrieval(self, query_set: QuerySet, k: int | None = None) -> pd.DataFrame:
        """Retrieval quality of the query set per size × precision (core.analysis.retrieval),
        exact search under the settings' measure."""
        k = k or self.settings.k
        return self.store.memo(
            self.keys.retrieval(query_set, k),
            lambda: retrieval_table(
                self.vectors,
                self.query_vectors(query_set),
                judgements(query_set, self.corpus),
                self.dims,
                k=k,
                measure=self.measure,
            ),
        )

    def adopt_query_vectors(self, query_set: QuerySet, raw: np.ndarray) -> None:
        """A query set's vectors uploaded, in the model's own order (like the corpus's)."""
        self._query_vectors[query_set.fingerprint] = (array_digest(raw), raw)

    def adopt_neighbours(self, dim: int, measure: str, lists: Neighbours) -> None:
        """One size's kNN lists (at list_k) computed elsewhere."""
        self.store.put(self.keys.knn(dim, self.list_k(measure), measure), lists)

    def adopt_partition(self, dim: int, partition: Partition) -> None:
        """One size's graph and communities computed elsewhere, matched when its view is built."""
        self._partitions[dim] = partition

    def adopt_layout(self, dim: int, coords: np.ndarray) -> None:
        """One size's map computed elsewhere."""
        self.store.put(self.keys.layout(dim), coords)
