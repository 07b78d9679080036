"""Tests for core.runtime.cache: content keys and the atomic on-disk array cache."""

from __future__ import annotations

import numpy as np

from core.runtime.cache import ENV_VAR, cache_dir, cache_key, load_array, save_array, texts_digest


def test_texts_digest_is_length_prefixed():
    assert texts_digest(["ab", "c"]) != texts_digest(["a", "bc"])
    assert texts_digest(["abc"]) != texts_digest(["ab", "c"])
    assert texts_digest(["", "a"]) != texts_digest(["a", ""])


def test_texts_digest_hashes_a_lone_surrogate_apart_from_its_replacement():
    assert texts_digest(["cut \ud83d"]) != texts_digest(["cut \ufffd"])


def test_texts_digest_is_stable_and_order_sensitive():
    assert texts_digest(["x", "é"]) == texts_digest(("x", "é"))
    assert texts_digest(["x", "y"]) != texts_digest(["y", "x"])
    assert len(texts_digest([])) == 64


def test_cache_key_is_stable_and_ignores_dict_key_order():
    a = cache_key({"model": "m", "texts": "t", "prompt": ""})
    b = cache_key({"prompt": "", "texts": "t", "model": "m"})
    assert a == b == cache_key({"model": "m", "texts": "t", "prompt": ""})
    assert len(a) == 32 and all(ch in "0123456789abcdef" for ch in a)


def test_cache_key_changes_with_any_value():
    base = {"model": "m", "texts": "t", "prompt": ""}
    assert cache_key(base) != cache_key({**base, "prompt": "query: "})
    assert cache_key(base) != cache_key({**base, "model": "n"})


def test_save_and_load_round_trip(tmp_path):
    array = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    path = save_array("k1", array, tmp_path)
    assert path == tmp_path / "embeddings" / "k1.npy"
    loaded = load_array("k1", tmp_path)
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, array)
    assert [p.name for p in path.parent.iterdir()] == ["k1.npy"]  # no temp file left behind


def test_save_overwrites_an_existing_entry(tmp_path):
    save_array("k", np.zeros(3), tmp_path)
    save_array("k", np.ones(3), tmp_path)
    np.testing.assert_array_equal(load_array("k", tmp_path), np.ones(3))


def test_missing_entry_loads_as_none(tmp_path):
    assert load_array("absent", tmp_path) is None


def test_corrupt_entry_loads_as_none_and_is_removed(tmp_path):
    path = save_array("bad", np.arange(4), tmp_path)
    path.write_bytes(b"\x93NUMPY garbage")
    assert load_array("bad", tmp_path) is None
    assert not path.exists()


def test_pickled_entry_is_refused_and_removed(tmp_path):
    path = tmp_path / "embeddings" / "obj.npy"
    path.parent.mkdir()
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert load_array("obj", tmp_path) is None
    assert not path.exists()


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert cache_dir() == tmp_path
    save_array("env", np.ones(2))
    assert (tmp_path / "embeddings" / "env.npy").exists()
    monkeypatch.delenv(ENV_VAR)
    assert cache_dir().name == "matryoshka-graph-explorer"
