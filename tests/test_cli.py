"""The headless CLI on the demo corpus writes the promised files (and only those), and each one
opens."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import networkx as nx
import pandas as pd
import pytest

from core.cli import main
from core.project import MANIFEST, QUERY_TABLES, TABLES, read_project
from core.viz.map_data import unpack
from core.viz.sweep import frame_count

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "demo_wordllama-l2-supercat_native_"
LADDER_FILES = {
    f"{PREFIX}{name}"
    for name in (
        "fidelity.csv",
        "fidelity.json",
        "lineage.json",
        "tree.graphml",
        "tree.json",
        "multilayer.graphml",
        "multilayer.json",
    )
}
LADDER_PICTURE = f"{PREFIX}ladder.png"  # the one image a run writes by default


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_the_options():
    result = _cli("--help")
    assert result.returncode == 0
    for option in ("--out", "--model", "--ordering", "--ladder", "--dims", "--formats", "--graphs"):
        assert option in result.stdout
    assert "--project" in result.stdout and "--no-project" in result.stdout


def test_missing_corpus_is_a_clear_error(tmp_path):
    result = _cli(str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "error:" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def default_run(tmp_path_factory) -> Path:
    """The output folder of a run with every output option left at its default."""
    out = tmp_path_factory.mktemp("default") / "out"
    result = _cli("demo", "--out", str(out), "--ladder", "256,16", "--k", "8")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "dims" in result.stdout  # the recommendation sentence
    assert f"files to {out}" in result.stdout
    return out


def test_a_default_run_writes_the_project_the_ladder_files_and_its_picture_only(default_run):
    assert {p.name for p in default_run.iterdir()} == LADDER_FILES | {LADDER_PICTURE, "project"}
    # native order, no query set
    tables = {f"{name}.parquet" for name in TABLES if name not in ("rotation", *QUERY_TABLES)}
    assert {p.name for p in (default_run / "project").iterdir()} == tables | {MANIFEST}


def test_the_default_project_opens_with_the_runs_sizes(default_run):
    project = read_project(default_run / "project")
    fidelity = pd.read_csv(default_run / f"{PREFIX}fidelity.csv")
    assert project.dims == (256, 16) == tuple(fidelity["dim"])
    assert len(project.corpus) == 360 and set(project.layouts) == {256, 16}


@pytest.mark.browser
def test_the_default_picture_is_the_ladder_with_a_panel_per_size(default_run):
    from PIL import Image

    from core.viz.small_multiples import CAPTION, GAP, PANEL, SIDE

    with Image.open(default_run / LADDER_PICTURE) as picture:
        assert picture.format == "PNG"
        # two panels side by side, rendered at scale 2
        assert picture.size[0] == 2 * (2 * SIDE + 2 * PANEL + GAP)
        assert picture.size[1] > 2 * (PANEL + CAPTION)


def test_graphs_writes_exactly_the_chosen_files_for_the_chosen_sizes(tmp_path):
    out = tmp_path / "out"
    args = ["demo", "--out", str(out), "--ladder", "256,16", "--dims", "16", "--formats", "none"]
    assert main([*args, "--graphs", "csv,html"]) == 0
    per_size = {f"{PREFIX}16d_edges.csv", f"{PREFIX}16d_network.html"}
    assert {p.name for p in out.iterdir()} == LADDER_FILES | per_size | {"project"}
    edges = pd.read_csv(out / f"{PREFIX}16d_edges.csv")
    assert len(edges) == read_project(out / "project").views[16].graph.edge_count
    assert "<html" in (out / f"{PREFIX}16d_network.html").read_text()[:500].lower()


def test_formats_gif_mp4_write_the_sweep_over_the_whole_ladder(tmp_path):
    out = tmp_path / "out"
    args = ["demo", "--out", str(out), "--ladder", "256,64,16", "--no-project"]
    assert main([*args, "--formats", "gif,mp4"]) == 0
    sweeps = {f"{PREFIX}sweep.gif", f"{PREFIX}sweep.mp4"}
    assert {p.name for p in out.iterdir()} == LADDER_FILES | sweeps
    gif = iio.imread(out / f"{PREFIX}sweep.gif", index=None)
    assert gif.shape == (3 + 2 * 12, 720, 720, 3)  # a frame per size held, 12 per move
    video = iio.immeta(out / f"{PREFIX}sweep.mp4", plugin="FFMPEG")
    assert video["fps"] == 10 and video["size"] == (720, 720)
    assert video["duration"] == pytest.approx(frame_count(3) / 10, abs=0.11)


def test_formats_html_writes_the_ladder_as_one_page_of_every_size(tmp_path):
    out = tmp_path / "out"
    args = ["demo", "--out", str(out), "--ladder", "256,64,16", "--no-project"]
    assert main([*args, "--formats", "html"]) == 0
    assert {p.name for p in out.iterdir()} == LADDER_FILES | {f"{PREFIX}ladder.html"}
    page = (out / f"{PREFIX}ladder.html").read_text(encoding="utf-8")
    assert 'src="dist/map.js"' not in page and "default-src 'none'" in page
    packs = re.findall(r'<script type="application/x-mge-pack">([^<]+)</script>', page)
    kinds = [unpack(base64.b64decode(pack))[0] for pack in packs]
    assert sorted(meta["dim"] for meta in kinds if meta["kind"] == "size") == [16, 64, 256]


def test_no_project_writes_no_project_folder(tmp_path):
    out = tmp_path / "out"
    args = ["demo", "--out", str(out), "--ladder", "256,16", "--no-project", "--formats", "none"]
    assert main(args) == 0
    assert {p.name for p in out.iterdir()} == LADDER_FILES  # and, with none, no picture


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            ("--graphs", "csv,bogus"),
            "argument --graphs: unknown choice 'bogus'; choose from graphml, gexf, csv, html",
        ),
        (("--formats", "png,jpeg"), "argument --formats: unknown choice 'jpeg'; choose from png,"),
    ],
)
def test_an_unknown_output_format_is_refused_with_the_choices(tmp_path, capsys, option, message):
    with pytest.raises(SystemExit) as exit_:
        main(["demo", "--out", str(tmp_path / "out"), *option])
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.browser
def test_every_output_option_writes_every_file(tmp_path):
    out, project = tmp_path / "out", tmp_path / "elsewhere"
    result = _cli(
        *("demo", "--out", str(out), "--ladder", "256,64,16,8", "--dims", "256,16", "--k", "8"),
        *("--graphs", "graphml,gexf,csv,html", "--formats", "png,svg", "--project", str(project)),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    pictures = [
        f"{PREFIX}{name}.{fmt}" for name in ("sankey", "tree", "ladder") for fmt in ("png", "svg")
    ]
    expected = LADDER_FILES | set(pictures)
    for dim in (256, 16):
        for name in ("map", "network"):
            expected |= {f"{PREFIX}{dim}d_{name}.png", f"{PREFIX}{dim}d_{name}.svg"}
        expected |= {
            f"{PREFIX}{dim}d_graph.graphml",
            f"{PREFIX}{dim}d_graph.gexf",
            f"{PREFIX}{dim}d_edges.csv",
            f"{PREFIX}{dim}d_network.html",
        }
    written = {p.name for p in out.iterdir()}
    assert expected <= written, expected - written
    assert len(written) == len(expected), (
        "one file-name scheme: <corpus>_<model>_<order>[_<d>d]_<what>"
    )
    assert read_project(project).dims == (256, 64, 16, 8)

    for path in out.glob("*.png"):
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and path.stat().st_size > 10_000
    for path in out.glob("*.svg"):
        assert b"<svg" in path.read_bytes()[:200]
    graph = nx.read_graphml(out / f"{PREFIX}16d_graph.graphml")
    assert graph.number_of_nodes() == 360
    assert (
        nx.read_gexf(out / f"{PREFIX}16d_graph.gexf").number_of_edges() == graph.number_of_edges()
    )
    edges = pd.read_csv(out / f"{PREFIX}16d_edges.csv")
    assert len(edges) == graph.number_of_edges()
    tree = nx.read_graphml(out / f"{PREFIX}tree.graphml")
    assert {d["dim"] for _, d in tree.nodes(data=True)} == {256, 64, 16, 8}
    layers = nx.read_graphml(out / f"{PREFIX}multilayer.graphml")
    documents = [n for n, d in layers.nodes(data=True) if d["kind"] == "document"]
    assert len(documents) == 360 * 4  # every document in each of the 4 layers
    assert layers.graph["level"] == "document"
    fidelity = pd.read_csv(out / f"{PREFIX}fidelity.csv")
    assert fidelity["dim"].tolist() == [256, 64, 16, 8]
    assert fidelity.loc[0, "recall_at_k"] == 1.0
    lineage = json.loads((out / f"{PREFIX}lineage.json").read_text())
    assert [s["from_dim"] for s in lineage["steps"]] == [256, 64, 16]
    assert all(len(v) == 360 for v in lineage["communities"].values())


def test_uploaded_vectors_run_without_a_model(tmp_path):
    import numpy as np

    vectors = tmp_path / "vectors.npy"
    np.save(vectors, np.random.default_rng(0).normal(size=(360, 32)).astype(np.float32))
    out = tmp_path / "out"
    result = _cli("demo", "--vectors", str(vectors), "--out", str(out), "--formats", "none")
    assert result.returncode == 0, result.stderr[-2000:]
    fidelity = next(out.glob("*fidelity.csv"))
    assert "uploaded-vectors" in fidelity.name and "pca" in fidelity.name
    assert pd.read_csv(fidelity)["dim"].tolist() == [32, 24, 16, 8]
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.ones((5, 4), dtype=np.float32))
    result = _cli("demo", "--vectors", str(wrong), "--out", str(out))
    assert result.returncode == 2 and "5 rows but the corpus has 360" in result.stderr


def test_a_ladder_of_more_sizes_than_the_limit_is_a_clear_error(tmp_path):
    import numpy as np

    vectors = tmp_path / "vectors.npy"
    np.save(vectors, np.random.default_rng(0).normal(size=(360, 32)).astype(np.float32))
    run = ("demo", "--vectors", str(vectors), "--out", str(tmp_path / "out"), "--formats", "none")
    result = _cli(*run, "--dims", ",".join(map(str, range(1, 26))))
    assert result.returncode == 2
    assert "error: The ladder has 25 sizes; the limit is 24" in result.stderr
    result = _cli(*run, "--ladder", "32,16,8", env={"MGE_MAX_SIZES": "2"})
    assert result.returncode == 2
    assert "error: The ladder has 3 sizes; the limit is 2" in result.stderr
    assert not (tmp_path / "out").exists()


def test_above_the_limits_graphs_are_edge_lists_and_maps_place_a_sample(
    tmp_path, monkeypatch, capsys
):
    """The CLI's path for corpora too large for networkx and for a full map (1M documents),
    on the demo with both limits lowered."""
    import numpy as np

    from core import cli, outputs
    from core.viz import layout

    monkeypatch.setattr(outputs, "GRAPHML_DOCUMENT_LIMIT", 100)
    monkeypatch.setattr(layout, "MAP_POINT_LIMIT", 120)
    vectors = tmp_path / "vectors.npy"
    np.save(vectors, np.random.default_rng(0).normal(size=(360, 32)).astype(np.float32))
    out, project = tmp_path / "out", tmp_path / "project"
    args = ["demo", "--vectors", str(vectors), "--ladder", "32,8", "--graphs", "graphml,csv,html"]
    assert cli.main([*args, "--out", str(out), "--project", str(project)]) == 0
    assert not list(out.glob("*_graph.graphml"))
    assert "GraphML and GEXF files are skipped above 100 documents" in capsys.readouterr().err
    opened = read_project(project)
    ids = opened.corpus.ids
    for dim in (32, 8):
        assert len(list(out.glob(f"*_{dim}d_network.html"))) == 1
        (edges_file,) = out.glob(f"*_{dim}d_edges.csv")
        edges = pd.read_csv(edges_file, keep_default_na=False)
        graph = opened.views[dim].graph
        assert len(edges) == graph.edge_count
        assert edges["source_id"].tolist() == [ids[i] for i in graph.src]
        placed = np.isfinite(opened.layouts[dim]).all(axis=1)
        assert placed.sum() == 120
        np.testing.assert_array_equal(np.flatnonzero(placed), layout.map_rows(360))


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--k", "0"), "k must be between 2 and 100 neighbours, not 0"),
        (("--k", "500"), "not 500"),
        (("--resolution", "-1"), "resolution must be between 0.1 and 5.0, not -1.0"),
    ],
)
def test_graph_settings_outside_the_apps_ranges_are_refused_before_any_work(
    tmp_path, capsys, option, message
):
    assert main(["demo", "--out", str(tmp_path / "out"), *option]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "out").exists()
