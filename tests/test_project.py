"""Project files: written once, read back with the same numbers and nothing recomputed, and
refused clearly when damaged, hostile, or from another format version."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

import core.pipeline as pipeline_module
from core.analysis.ladder import GraphSettings
from core.embed.models import CUSTOM_MODELS_ENV, WORDLLAMA, ModelSpec, embed_queries, embed_typed
from core.io.corpus import load_demo_corpus
from core.pipeline import Choice, Pipeline
from core.project import (
    MANIFEST,
    list_projects,
    project_zip,
    read_project,
    write_project,
)
from core.runtime.errors import ExplorerError
from core.runtime.store import ResultStore
from core.runtime.units import MB
from pages.resources import results
from tests.support import UNLISTED_PEAK, crowded_zip, refused_unlisted, zip_of

ROOT = Path(__file__).resolve().parents[1]
LADDER = (256, 64, 16)


@pytest.fixture(scope="module", params=[("native", "cosine"), ("pca", "euclidean")])
def written(request, tmp_path_factory):
    """A demo project written to a folder, and the pipeline that wrote it."""
    ordering, measure = request.param
    pipe = Pipeline(
        Choice(load_demo_corpus(), WORDLLAMA, ordering),
        settings=GraphSettings(k=8, measure=measure, resolution=1.5),
        ladder=LADDER,
        store=ResultStore(),
    )
    folder = tmp_path_factory.mktemp("project") / "demo"
    write_project(pipe, folder)
    return pipe, folder


def _refuse_computing(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("a project must open without computing")

    for name in ("knn", "compute_view", "size_layout", "fidelity_table", "order_dimensions"):
        monkeypatch.setattr(pipeline_module, name, fail)


def test_round_trip_shows_the_same_numbers_without_computing(written, monkeypatch):
    pipe, folder = written
    project = read_project(folder)
    _refuse_computing(monkeypatch)
    opened = project.pipeline(ResultStore())
    assert opened.dims == pipe.dims == [256, 64, 16]
    assert opened.settings == pipe.settings and opened.fingerprint == pipe.fingerprint
    np.testing.assert_array_equal(opened.vectors, pipe.vectors)
    for dim in pipe.dims:
        mine, theirs = pipe.view(dim), opened.view(dim)
        np.testing.assert_array_equal(theirs.communities, mine.communities)
        np.testing.assert_array_equal(theirs.neighbours.indices, mine.neighbours.indices)
        np.testing.assert_array_equal(theirs.graph.weight, mine.graph.weight)
        np.testing.assert_array_equal(theirs.recall, mine.recall)
        assert theirs.keywords == mine.keywords
        np.testing.assert_array_equal(opened.layout(dim), pipe.layout(dim))
    assert opened.fidelity().equals(pipe.fidelity())
    assert opened.lineage_summary().equals(pipe.lineage_summary())
    assert opened.names(16) == pipe.names(16)


def test_tables_open_elsewhere_as_plain_parquet(written):
    pipe, folder = written
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["documents"] == 360 and manifest["dims"] == [256, 64, 16]
    assert manifest["settings"]["measure"] == pipe.measure
    docs = pq.read_table(folder / "documents.parquet").to_pandas()
    assert list(docs["id"]) == list(pipe.corpus.ids)
    maps = pq.read_table(folder / "maps.parquet").to_pandas()
    assert len(maps) == 3 * 360 and set(maps["dim"]) == {256, 64, 16}
    assert (folder / "rotation.parquet").exists() == (pipe.choice.ordering == "pca")
    assert not list(folder.glob("*.pkl"))


def test_a_fresh_process_reads_the_same_numbers(written):
    pipe, folder = written
    code = (
        "import sys, json; from pathlib import Path; from core.project import read_project;"
        "p = read_project(Path(sys.argv[1])).pipeline();"
        "print(json.dumps([p.fidelity()['recall_at_k'].tolist(),"
        " [p.view(d).community_count for d in p.dims]]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(folder)], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr[-2000:]
    recalls, counts = json.loads(out.stdout.strip().splitlines()[-1])
    assert recalls == pipe.fidelity()["recall_at_k"].tolist()
    assert counts == [pipe.view(d).community_count for d in pipe.dims]


def test_a_zip_opens_with_or_without_its_top_folder(written):
    pipe, folder = written
    zipped = project_zip(pipe, "../my demo")
    names = zipfile.ZipFile(io.BytesIO(zipped)).namelist()
    assert all(n.startswith("my-demo/") for n in names)
    flat = io.BytesIO()
    with zipfile.ZipFile(flat, "w") as archive:
        for path in folder.iterdir():
            archive.write(path, path.name)
    for data in (zipped, flat.getvalue()):
        assert read_project(data, "demo.zip").corpus.ids == pipe.corpus.ids
    assert list_projects(folder.parent) == [folder]


def test_a_zip_made_by_macos_finder_opens(written):
    # Finder adds the top folder's entry, a .DS_Store, and an AppleDouble "._" file for each
    # file under __MACOSX/
    pipe, folder = written
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("demo/", b"")
        for path in sorted(folder.iterdir()):
            archive.write(path, f"demo/{path.name}")
        archive.writestr("demo/.DS_Store", b"\0\0\0\1Bud1" + bytes(100))
        archive.writestr("__MACOSX/", b"")
        archive.writestr("__MACOSX/demo/", b"")
        for file in sorted(p.name for p in folder.iterdir()) + [".DS_Store"]:
            archive.writestr(f"__MACOSX/demo/._{file}", b"\0\5\26\7" + bytes(60))
    project = read_project(buffer.getvalue(), "demo.zip")
    assert project.corpus.ids == pipe.corpus.ids and project.dims == tuple(pipe.dims)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _with_manifest(files: dict[str, bytes], **changes) -> dict[str, bytes]:
    manifest = json.loads(files[MANIFEST]) | changes
    return files | {MANIFEST: json.dumps(manifest).encode()}


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: f | {"maps.parquet": f["maps.parquet"][:-100]}, "truncated or altered"),
        (
            lambda f: {k: v for k, v in f.items() if k != "graph.parquet"},
            "graph.parquet is missing",
        ),
        (lambda f: _with_manifest(f, version=2), "newer version"),
        (lambda f: _with_manifest(f, version=0), "older than this app"),
        (lambda f: _with_manifest(f, format="something else"), "not a Matryoshka"),
        (lambda f: f | {MANIFEST: b"{not json"}, "not valid JSON"),
        (lambda f: {k: v for k, v in f.items() if k != MANIFEST}, "no manifest.json"),
        (lambda f: f | {"../../evil.parquet": b"x"}, "paths outside the project"),
        (lambda f: f | {"/etc/passwd": b"x"}, "paths outside the project"),
    ],
)
def test_damaged_or_hostile_projects_are_refused_clearly(written, damage, message):
    _, folder = written
    with pytest.raises(ExplorerError, match=message):
        read_project(zip_of(damage(_files(folder))), "bad.zip")


def test_documents_that_do_not_match_the_fingerprint_are_refused(written, tmp_path):
    import hashlib

    import pyarrow as pa

    _, folder = written
    docs = pq.read_table(folder / "documents.parquet")
    texts = docs.column("text").to_pylist()
    texts[0] = "A different first document."
    buffer = io.BytesIO()
    pq.write_table(docs.set_column(2, "text", pa.array(texts)), buffer)
    files = _files(folder) | {"documents.parquet": buffer.getvalue()}
    manifest = json.loads(files[MANIFEST])
    manifest["files"]["documents.parquet"] = {
        "bytes": len(buffer.getvalue()),
        "sha256": hashlib.sha256(buffer.getvalue()).hexdigest(),
    }
    files[MANIFEST] = json.dumps(manifest).encode()
    with pytest.raises(ExplorerError, match="do not match the fingerprint"):
        read_project(zip_of(files), "forged.zip")
    with pytest.raises(ExplorerError, match="not a readable zip"):
        read_project(b"not a zip at all", "junk.zip")


def test_cli_writes_a_project_the_app_opens_with_nothing_recomputed(tmp_path, monkeypatch):
    command = [sys.executable, "-m", "core", "demo", "--out", str(tmp_path / "out")]
    command += ["--ladder", "256,32", "--formats", "none", "--measure", "dot"]
    command += ["--project", str(tmp_path / "projects" / "demo")]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    project = read_project(tmp_path / "projects" / "demo")
    assert project.dims == (256, 32) and len(project.layouts) == 2
    assert project.settings.measure == "dot"
    data = project_zip(project.pipeline(ResultStore()), "demo")

    results().clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/data.py").run()
    results().clear()  # the app must find everything in the file, not in a warm store
    _refuse_computing(monkeypatch)
    at.file_uploader(key="project_zip").upload("demo.zip", data, "application/zip").run()
    next(b for b in at.button if b.label == "Open this project").click().run()
    assert not at.exception and not at.error
    assert any("Opened the project" in i.value for i in at.info)
    state = at.session_state
    assert (state.ladder_text, state.measure, state.ordering_mode) == ("256, 32", "dot", "native")
    assert state.model_key == WORDLLAMA.key and state.uploaded.spec == WORDLLAMA
    # (AppTest drops the sidebar's widget state on later runs of a page, so the Explore page
    # showing the opened project is checked in a real browser: tests/test_e2e_project.py)
    results().clear()


def test_a_damaged_project_in_the_app_shows_a_message_and_keeps_the_corpus(written):
    _, folder = written
    files = _files(folder)
    damaged = zip_of(files | {"maps.parquet": files["maps.parquet"][:-10]})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/data.py").run()
    at.file_uploader(key="project_zip").upload("broken.zip", damaged, "application/zip").run()
    next(b for b in at.button if b.label == "Open this project").click().run()
    assert not at.exception
    assert any("truncated or altered" in e.value for e in at.error)
    assert any("Still using" in c.value for c in at.caption)
    assert at.session_state.corpus.name == "demo" and "uploaded" not in at.session_state


def _forged(files: dict[str, bytes], name: str, data: bytes) -> dict[str, bytes]:
    """The project's files with one table replaced and the manifest telling the truth about it."""
    import hashlib

    manifest = json.loads(files[MANIFEST])
    manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return files | {name: data, MANIFEST: json.dumps(manifest).encode()}


def _zip_with_zeros(files: dict[str, bytes], name: str, size: int) -> bytes:
    """The project zipped with member `name` replaced by `size` bytes of deflated zeros."""
    buffer = io.BytesIO()
    block = bytes(1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file, data in files.items():
            if file != name:
                archive.writestr(file, data)
        with archive.open(name, "w", force_zip64=True) as member:
            for _ in range(size // len(block)):
                member.write(block)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked_into_memory(written):
    import tracemalloc

    _, folder = written
    bomb = _zip_with_zeros(_files(folder), "maps.parquet", 400 * 1024 * 1024)
    assert len(bomb) < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        with pytest.raises(ExplorerError, match="more than its manifest says"):
            read_project(bomb, "bomb.zip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024


@pytest.mark.parametrize("declared", [None, 1])
def test_a_zip_of_too_many_entries_is_refused_before_it_is_listed(declared, monkeypatch):
    data = crowded_zip(200_000, declared)
    peak = refused_unlisted(
        lambda: read_project(data, "crowded.zip"),
        r"crowded\.zip .* entries; the limit is 56 per zip.* Zip the project folder",
        monkeypatch,
    )
    assert peak < UNLISTED_PEAK


def _crafted(folder: Path, table: str, change) -> bytes:
    """The project zipped with one table changed (pyarrow Table -> Table) and the manifest
    telling the truth about it, as someone crafting a project would."""
    buffer = io.BytesIO()
    pq.write_table(change(pq.read_table(folder / f"{table}.parquet")), buffer)
    return zip_of(_forged(_files(folder), f"{table}.parquet", buffer.getvalue()))


def _without(dim: int, row: int):
    def change(table):
        keep = (table["dim"].to_numpy() != dim) | (table["row"].to_numpy() != row)
        return table.filter(pa.array(keep))

    return change


def _with_neighbour(value: int):
    """The first document's first neighbour (at the first size) replaced by `value`."""

    def change(table):
        lists = table["neighbours"].combine_chunks()
        flat = lists.flatten().to_numpy().copy()
        flat[0] = value
        column = pa.FixedSizeListArray.from_arrays(pa.array(flat), lists.type.list_size)
        return table.set_column(table.schema.get_field_index("neighbours"), "neighbours", column)

    return change


def _with_column(name: str, value: int):
    """The first row's `name` (at the first size) replaced by `value`."""

    def change(table):
        values = table[name].to_numpy().astype(np.int64)
        values[0] = value
        return table.set_column(table.schema.get_field_index(name), name, pa.array(values))

    return change


@pytest.mark.parametrize(
    ("table", "change", "message"),
    [
        ("communities", lambda t: t.slice(0, t.num_rows - 1), "communities for 16 dims do not"),
        ("communities", _without(64, 7), "communities for 64 dims do not"),
        ("communities", _with_column("community", -1), r"communities for 256 dims name -1"),
        (
            "communities",
            _with_column("community", 10**9),
            "communities for 256 dims name 1000000000",
        ),
        ("maps", _without(64, 7), "map coordinates for 64 dims do not"),
        ("maps", lambda t: t.filter(pa.array(t["dim"].to_numpy() != 16)), "no results for 16 dims"),
        ("neighbours", _without(256, 0), "neighbour lists for 256 dims do not"),
        (
            "neighbours",
            _with_neighbour(360),
            r"neighbour lists for 256 dims name 360, outside 0 to 359",
        ),
        (
            "neighbours",
            _with_neighbour(-1),
            r"neighbour lists for 256 dims name -1, outside 0 to 359",
        ),
        ("graph", _with_column("dst", 360), r"graph edges for 256 dims name 360, outside 0 to 359"),
        ("graph", _with_column("src", -3), r"graph edges for 256 dims name -3, outside 0 to 359"),
    ],
)
def test_a_crafted_table_is_refused_with_a_message(written, table, change, message):
    _, folder = written
    with pytest.raises(ExplorerError, match=message) as refused:
        read_project(_crafted(folder, table, change), "crafted.zip")
    assert "it was not opened" in str(refused.value)
    assert "could not be read" not in str(refused.value)  # a named check, not a caught crash


def _with_model(pipe, folder: Path, source: str) -> bytes:
    """The project zipped with its manifest naming another model (and the fingerprint that
    model gives), as someone crafting a project would."""
    model = {"key": source, "label": source, "source": source, "dim": 256, "prompt": ""}
    spec = ModelSpec(key=source, label=source, source=source, dim=256)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["model"] = model
    manifest["fingerprints"]["choice"] = Choice(pipe.corpus, spec, pipe.choice.ordering).fingerprint
    return zip_of(_files(folder) | {MANIFEST: json.dumps(manifest).encode()})


def test_a_project_model_is_loaded_only_where_the_server_allows_custom_models(written, monkeypatch):
    import sentence_transformers

    pipe, folder = written
    loaded = []

    def record(source, **kwargs):
        loaded.append(source)
        raise OSError("no such model")

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", record)
    data = _with_model(pipe, folder, "/srv/someone-elses/model")
    monkeypatch.delenv(CUSTOM_MODELS_ENV, raising=False)
    project = read_project(data, "crafted.zip")
    opened = project.pipeline(ResultStore())  # the project's own vectors are shown
    assert opened.corpus.ids == pipe.corpus.ids
    np.testing.assert_array_equal(opened.view(64).communities, pipe.view(64).communities)
    for needs_the_model in (
        lambda: embed_typed(["typed text"], project.spec),
        lambda: embed_queries(["a new query"], project.spec),
    ):
        with pytest.raises(ExplorerError, match=r"not one of this server's presets.*=1"):
            needs_the_model()
    assert loaded == []

    monkeypatch.setenv(CUSTOM_MODELS_ENV, "1")  # the rule a model picked on the Corpus page follows
    allowed = read_project(data, "crafted.zip").spec
    with pytest.raises(ExplorerError, match="Could not load model"):
        embed_typed(["typed text"], allowed)
    assert loaded == ["/srv/someone-elses/model"]


def test_a_manifest_that_claims_more_than_the_server_opens_is_refused(written, monkeypatch):
    _, folder = written
    files = _files(folder)
    manifest = json.loads(files[MANIFEST])
    manifest["files"]["maps.parquet"]["bytes"] = 50 * 1024**3
    with pytest.raises(ExplorerError, match="opens projects up to"):
        read_project(zip_of(files | {MANIFEST: json.dumps(manifest).encode()}), "huge.zip")
    monkeypatch.setenv("MGE_MAX_PROJECT_MB", "0.01")
    with pytest.raises(ExplorerError, match=r"opens projects up to .*MGE_MAX_PROJECT_MB"):
        read_project(folder, "demo")


def test_text_that_expands_many_times_over_is_refused(written):
    import pyarrow as pa

    _, folder = written
    docs = pq.read_table(folder / "documents.parquet")
    one_string = pa.array(["x" * 1_000_000])
    huge = pa.DictionaryArray.from_arrays(pa.array(np.zeros(docs.num_rows, np.int32)), one_string)
    buffer = io.BytesIO()
    pq.write_table(docs.set_column(2, "text", huge), buffer, compression="zstd")
    assert len(buffer.getvalue()) < 100_000
    files = _forged(_files(folder), "documents.parquet", buffer.getvalue())
    with pytest.raises(ExplorerError, match="expands to 360 MB from"):
        read_project(zip_of(files), "text-bomb.zip")


def test_a_project_larger_than_the_memory_budget_is_refused(written, monkeypatch):
    _, folder = written
    monkeypatch.setenv("MGE_RESULT_CACHE_MB", "0.5")
    with pytest.raises(ExplorerError, match=r"needs about .* \(MGE_RESULT_CACHE_MB\)"):
        read_project(folder, "demo")


def test_the_server_says_busy_while_other_reads_hold_the_budget(written, monkeypatch):
    from core.runtime import memory

    _, folder = written
    monkeypatch.setenv("MGE_RESULT_CACHE_MB", "36")
    with (
        memory.reserve(35 * MB, "another project"),
        pytest.raises(ExplorerError, match="The server is busy"),
    ):
        read_project(folder, "demo")
    assert memory.in_flight() == 0
    assert read_project(folder, "demo").corpus.ids


def test_a_project_of_a_preset_model_leaves_no_uploaded_vectors_behind(written):
    pipe, folder = written
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/data.py").run()
    data = project_zip(pipe, "demo")
    at.file_uploader(key="project_zip").upload("demo.zip", data, "application/zip").run()
    next(b for b in at.button if b.label == "Open this project").click().run()
    assert at.session_state.model_key == WORDLLAMA.key
    other = "text\n" + "\n".join(f"note {i} on comets and ferns" for i in range(12))
    at.switch_page("pages/data.py").run()
    at.file_uploader[0].upload("other.csv", other.encode(), "text/csv").run()
    next(b for b in at.button if b.label == "Use these documents").click().run()
    assert not at.exception and at.session_state.corpus.name == "other"
    assert not any("embeddings" in i.value for i in at.info)
    assert at.session_state.model_key == WORDLLAMA.key and "uploaded" not in at.session_state


def test_search_times_of_an_opened_project_name_the_machine_that_measured_them(written):
    from core.runtime import machine

    pipe, folder = written
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["machine"] == machine.description() and "cores" in manifest["machine"]
    fidelity = read_project(folder).pipeline(ResultStore()).fidelity()
    assert fidelity.attrs["measured_on"].startswith(manifest["machine"] + ", where the project")
    assert "measured_on" not in pipe.fidelity().attrs  # computed here: "this machine"
