"""A project read back, and the Pipeline that shows it with nothing computed again."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.analysis.knn import Neighbours
from core.analysis.ladder import DimensionView, GraphSettings
from core.analysis.ordering import Ordered
from core.embed.models import ModelSpec
from core.io.corpus import Corpus
from core.io.queries import QuerySet
from core.io.vectors import UploadedVectors
from core.pipeline import Choice, Pipeline


@dataclass(frozen=True)
class Project:
    """A project read back: what the Pipeline needs to show it without computing anything."""

    corpus: Corpus
    spec: ModelSpec
    ordering: str
    settings: GraphSettings
    dims: tuple[int, ...]
    raw: np.ndarray
    ordered: Ordered
    neighbours: dict[int, Neighbours]
    views: dict[int, DimensionView]
    layouts: dict[int, np.ndarray]
    fidelity: pd.DataFrame
    lineage: pd.DataFrame
    manifest: dict
    query_set: QuerySet | None = None
    query_vectors: np.ndarray | None = None  # raw, for a query file
    retrieval: pd.DataFrame | None = None

    @property
    def vectors(self) -> UploadedVectors:
        """The project's embedding, bound to its corpus like uploaded vectors."""
        return UploadedVectors(self.raw, self.spec, self.corpus.documents_fingerprint)

    def pipeline(self, store=None) -> Pipeline:
        """A Pipeline whose store already holds every result of this project, under the keys
        it would compute them for, so that nothing is computed again."""
        pipe = Pipeline(
            Choice(self.corpus, self.spec, self.ordering),
            settings=self.settings,
            ladder=self.dims,
            store=store,
            uploaded=self.vectors,
            query_set=self.query_set,
        )
        put, keys = pipe.store.put, pipe.keys
        put(keys.ordered(), self.ordered)
        for dim, lists in self.neighbours.items():
            pipe.adopt_neighbours(dim, pipe.measure, lists)
        for dim, view in self.views.items():
            put(keys.view(dim), view)
        for dim, coords in self.layouts.items():
            pipe.adopt_layout(dim, coords)
        put(keys.fidelity(pipe.settings.k), self.fidelity)
        put(keys.per_ladder("lineage-summary"), self.lineage)
        if self.query_set is not None:
            if self.query_vectors is not None:
                pipe.adopt_query_vectors(self.query_set, self.query_vectors)
            if self.retrieval is not None:
                retrieval_k = int(self.retrieval["k"].iloc[0])
                put(keys.retrieval(self.query_set, retrieval_k), self.retrieval)
        return pipe
