"""The one orchestration: corpus → embeddings → ordering → per-size views → maps → fidelity and
lineage. The CLI and the app's pages both drive a Pipeline; it keeps every result in an injected
ResultStore under content keys, and reports long steps through progress callbacks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from core.analysis.fidelity import fidelity_table
from core.analysis.keywords import TermCounts, community_names
from core.analysis.knn import truncate
from core.analysis.ladder import (
    DimensionView,
    GraphSettings,
    compute_views,
    default_dims,
    fit_ladder,
)
from core.analysis.lineage import lineage_inputs
from core.embed.cache import cache_key
from core.embed.models import ModelSpec, embed
from core.embed.ordering import Ordered, order_dimensions
from core.io.corpus import Corpus
from core.io.vectors import UPLOADED, UploadedVectors
from core.store import ResultStore
from core.viz.figures import hover_texts
from core.viz.layout import iter_layouts, pca_layout

# share of the step done (0..1) and a sentence saying what is happening
Progress = Callable[[float, str], None]
DEFAULT_SETTINGS = GraphSettings()


def _silent(share: float, text: str) -> None:
    """The progress callback used when nobody watches."""


@dataclass(frozen=True)
class Choice:
    """What the user picked: corpus, model and dimension ordering."""

    corpus: Corpus
    spec: ModelSpec
    ordering: str  # "native" or "pca"

    @cached_property
    def fingerprint_without_ordering(self) -> str:
        """Content key of the raw embeddings: the texts, the model (uploaded vectors carry their
        content digest in the key) and the model's prompt."""
        return cache_key(
            {
                "texts": self.corpus.fingerprint,
                "model": self.spec.key,
                "prompt": self.spec.prompt,
                "recipe": self.spec.recipe,
            }
        )

    @cached_property
    def fingerprint(self) -> str:
        """Content key for every cached result of this choice, ordering included."""
        return cache_key({"raw": self.fingerprint_without_ordering, "ordering": self.ordering})


def default_ordering(spec: ModelSpec) -> str:
    """PCA ordering for models not trained with Matryoshka loss, native order for those that are."""
    return "native" if spec.is_matryoshka else "pca"


class Pipeline:
    """One choice through one ladder and one set of graph settings, computed lazily and kept in
    `store` (shared across sessions and reruns; every key names what the value depends on)."""

    def __init__(
        self,
        choice: Choice,
        *,
        settings: GraphSettings = DEFAULT_SETTINGS,
        ladder: Sequence[int] = (),
        store: ResultStore | None = None,
        uploaded: UploadedVectors | None = None,
    ):
        self.choice = choice
        self.settings = settings
        self.ladder = tuple(ladder)
        self.store = store if store is not None else ResultStore()
        self.uploaded = uploaded

    @property
    def corpus(self) -> Corpus:
        return self.choice.corpus

    @property
    def fingerprint(self) -> str:
        return self.choice.fingerprint

    def raw(self, progress: Progress = _silent) -> np.ndarray:
        """Full-size embeddings in the model's own order (disk-cached by embed)."""
        key = ("raw", self.choice.fingerprint_without_ordering)
        spec = self.choice.spec
        if spec.source == UPLOADED:
            if self.uploaded is None or self.uploaded.spec != spec:
                raise ValueError("uploaded vectors must be handed to the pipeline")
            return self.store.memo(key, lambda: self.uploaded.for_corpus(self.corpus))

        def report(done: int, total: int) -> None:
            progress(done / total, f"Embedding with {spec.key}: {done:,}/{total:,} documents")

        return self.store.memo(key, lambda: embed(self.corpus.texts, spec, progress=report))

    def ordered(self, progress: Progress = _silent) -> Ordered:
        """Embeddings in the chosen ordering."""
        return self.store.memo(
            ("ordered", self.fingerprint),
            lambda: order_dimensions(self.raw(progress), self.choice.ordering),
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
        return self.store.memo(
            ("terms", self.corpus.fingerprint), lambda: TermCounts(self.corpus.texts)
        )

    def views(self, progress: Progress = _silent) -> dict[int, DimensionView]:
        """Graph, communities, keywords and recall per size, largest first."""

        def report(step: int, total: int, dim: int) -> None:
            progress(step / total, f"Graph and communities: {step}/{total} ({dim} dims)")

        return self.store.memo(
            ("views", self.fingerprint, tuple(self.dims), self.settings),
            lambda: compute_views(
                self.vectors, self.dims, self.terms(), self.settings, progress=report
            ),
        )

    def names(self, dim: int) -> dict[int, str]:
        """Display names of the communities at one size ("3 · serve, racket, court")."""
        return community_names(self.views()[dim].keywords)

    def _layout_key(self, dim: int) -> tuple:
        # maps are chained down the ladder, so each one depends on the whole ladder above it
        return ("layout", self.fingerprint, tuple(self.dims), dim)

    def stored_layouts(self) -> dict[int, np.ndarray]:
        """UMAP maps already computed for this ladder."""
        found = {d: self.store.get(self._layout_key(d)) for d in self.dims}
        return {d: coords for d, coords in found.items() if coords is not None}

    def missing_layouts(self) -> list[int]:
        return [d for d in self.dims if self.store.get(self._layout_key(d)) is None]

    def layouts(self, progress: Progress = _silent) -> dict[int, np.ndarray]:
        """Every size's UMAP map, each initialised from the next larger size's and aligned to it."""
        existing = self.stored_layouts()
        missing = len(self.dims) - len(existing)
        for step, (dim, coords) in enumerate(
            iter_layouts(self.vectors, self.dims, existing), start=1
        ):
            self.store.put(self._layout_key(dim), coords)
            existing[dim] = coords
            progress(step / missing, f"UMAP map {step}/{missing} done ({dim} dims)")
        return existing

    def map_coords(self, dim: int) -> tuple[np.ndarray, bool]:
        """The UMAP map for dim when ready (and True), else an instant PCA map (and False)."""
        coords = self.store.get(self._layout_key(dim))
        if coords is not None:
            return coords, True
        preview = self.store.memo(
            ("pca-map", self.fingerprint, dim), lambda: pca_layout(truncate(self.vectors, dim))
        )
        return preview, False

    def hovers(self) -> list[str]:
        """Escaped hover text per document."""
        corpus = self.corpus
        return self.store.memo(
            ("hover", corpus.fingerprint),
            lambda: hover_texts(corpus.texts, corpus.ids, corpus.labels),
        )

    def fidelity(self, k: int | None = None) -> pd.DataFrame:
        """Recall, rank correlation, community agreement, storage and search time per size."""
        k = k or self.settings.k
        views = self.views()
        return self.store.memo(
            ("fidelity", self.fingerprint, tuple(self.dims), self.settings, k),
            lambda: fidelity_table(
                self.vectors,
                self.dims,
                k=k,
                communities={d: v.communities for d, v in views.items()},
                neighbours={d: v.neighbours for d, v in views.items()}
                if k == self.settings.k
                else None,
            ),
        )

    def lineage(self) -> tuple[list[int], dict[int, np.ndarray], dict[int, dict[int, str]]]:
        """(sizes largest first, community labels per size, display names per size)."""
        return lineage_inputs(self.views())

    def network_html(self, dim: int) -> str:
        """The interactive network at one size, placed at the map's coordinates."""
        from core.viz.network import build_network_html

        coords, is_umap = self.map_coords(dim)
        view = self.views()[dim]
        return self.store.memo(
            ("network", self.fingerprint, tuple(self.dims), self.settings, dim, is_umap),
            lambda: build_network_html(
                coords,
                view.graph,
                view.communities,
                self.names(dim),
                self.corpus.texts,
                self.corpus.ids,
            ),
        )

    def animation(self):
        """The ladder animation (every map ready), or None while maps are missing."""
        from core.viz.figures import ladder_animation

        layouts = self.stored_layouts()
        if len(layouts) < len(self.dims):
            return None
        views = self.views()
        return self.store.memo(
            ("animation", self.fingerprint, tuple(self.dims), self.settings),
            lambda: ladder_animation(
                layouts, {d: views[d].communities for d in self.dims}, self.hovers()
            ),
        )
