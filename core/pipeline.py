"""One corpus through one model: embeddings, ordering and the dimension ladder, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from core.analysis.ladder import default_dims
from core.embed.cache import cache_key, texts_digest
from core.embed.models import ModelSpec
from core.io.corpus import Corpus


@dataclass(frozen=True)
class Choice:
    """What the user picked: corpus, model and dimension ordering."""

    corpus: Corpus
    spec: ModelSpec
    ordering: str  # "native" or "pca"

    @cached_property
    def fingerprint_without_ordering(self) -> str:
        """Content key of the raw embeddings (texts, not names, decide it)."""
        return cache_key(
            {
                "texts": texts_digest(self.corpus.texts),
                "model": self.spec.key,
                "prompt": self.spec.prompt,
            }
        )

    @cached_property
    def fingerprint(self) -> str:
        """Content key for every cached result of this choice, ordering included."""
        return cache_key({"raw": self.fingerprint_without_ordering, "ordering": self.ordering})


def default_ordering(spec: ModelSpec) -> str:
    """PCA ordering for models not trained with Matryoshka loss, native order for those that are."""
    return "native" if spec.is_matryoshka else "pca"


def ladder_for(spec: ModelSpec, full: int) -> list[int]:
    """The default ladder for a model whose vectors have `full` dimensions."""
    return default_dims(full, spec.matryoshka_dims)
