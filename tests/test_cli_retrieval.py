"""The CLI's retrieval table: --queries FILE, --only retrieval, --id-column, labels as answers,
uploaded query vectors, and the project keeping the query set and its results."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.analysis.indexes import code_width
from core.cli import main
from core.io.corpus import load_demo_corpus
from core.project import read_project
from tests.test_queries import demo_queries

PREFIX = "demo_wordllama-l2-supercat_native_"
COLUMNS = [
    "dim",
    "precision",
    "k",
    "recall_at_k",
    "ndcg_at_10",
    "mrr_at_10",
    "hit_at_k",
    "bytes_per_vector",
    "ms_per_query",
    "ms_per_query_p95",
    "queries_per_second",
    "index_bytes",
    "kept_for_rescoring_bytes",
    "kept_for_rescoring",
    "kernel",
    "queries",
]


@pytest.fixture(scope="module")
def query_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("queries") / "demo_queries.csv"
    path.write_bytes(demo_queries(load_demo_corpus()))
    return path


def test_only_retrieval_writes_the_table_and_nothing_else(query_file, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["demo", "--queries", str(query_file), "--only", "retrieval", "--ladder", "256,64,16"]
    assert main([*args, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        f"{PREFIX}retrieval.csv",
        f"{PREFIX}retrieval.json",
    ]
    table = pd.read_csv(out / f"{PREFIX}retrieval.csv")
    assert set(COLUMNS) <= set(table.columns)
    for metric in ("recall_at_k", "ndcg_at_10", "mrr_at_10", "hit_at_k"):
        assert (table[f"{metric}_low"] <= table[metric] + 1e-12).all()
        assert (table[metric] <= table[f"{metric}_high"] + 1e-12).all()
    assert table["precision"].tolist()[:4] == ["float32", "int8", "binary", "binary+rescore"]
    assert table["dim"].unique().tolist() == [256, 64, 16]
    assert set(table["queries"]) == {120}
    assert (table["ms_per_query"] <= table["ms_per_query_p95"]).all()
    assert (table["queries_per_second"] > 0).all()
    rescored = table[table["precision"] == "binary+rescore"]
    documents = len(load_demo_corpus())
    assert (rescored["kept_for_rescoring_bytes"] == rescored["dim"] * 4 * documents).all()
    widths = rescored["dim"].map(lambda d: code_width(d // 8))  # 16 dims: 2 bytes held as 4
    assert (rescored["index_bytes"] == widths * documents).all()
    record = json.loads((out / f"{PREFIX}retrieval.json").read_text())
    assert record["recommendation"] in capsys.readouterr().out
    assert len(record["table"]) == 12


def test_unknown_answer_ids_stop_before_any_work(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("query,relevant\nserve and volley,sport-tennis-001\nclay,no-such-doc\n")
    assert main(["demo", "--queries", str(bad), "--only", "retrieval", "--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "bad.csv, row 2: no document has the id 'no-such-doc'" in error
    assert not list(tmp_path.glob("*retrieval*"))


def test_only_retrieval_needs_queries(tmp_path, capsys):
    assert main(["demo", "--only", "retrieval", "--out", str(tmp_path)]) == 2
    assert "--only retrieval needs --queries" in capsys.readouterr().err


def test_id_column_names_the_documents_answers_use(tmp_path, capsys):
    corpus = tmp_path / "notes.csv"
    texts = [f"note about topic {i % 3} number {i}" for i in range(12)]
    pd.DataFrame({"key": [f"n{i}" for i in range(12)], "body": texts}).to_csv(corpus, index=False)
    queries = tmp_path / "q.tsv"
    queries.write_text("query\trelevant\ntopic 1 number 4\tn4\ntopic 2\tn2;n5:2;n8\n")
    args = [str(corpus), "--queries", str(queries), "--only", "retrieval", "--out", str(tmp_path)]
    assert main([*args, "--ladder", "256,32"]) == 2
    assert "no document has the id 'n4'" in capsys.readouterr().err  # ids are row places
    assert main([*args, "--ladder", "256,32", "--id-column", "key"]) == 0
    table = pd.read_csv(tmp_path / "notes_wordllama-l2-supercat_native_retrieval.csv")
    assert set(table["queries"]) == {2}


def test_labels_as_answers_and_the_project_keeps_the_query_set(query_file, tmp_path):
    out = tmp_path / "out"
    assert (
        main(["demo", "--queries", str(query_file), "--ladder", "256,64", "--out", str(out)]) == 0
    )
    written = pd.read_csv(out / f"{PREFIX}retrieval.csv")
    project = read_project(out / "project")
    assert project.query_set.ids[:2] == ("q0", "q3") and len(project.query_set) == 120
    assert project.query_vectors.shape == (120, 256)
    pd.testing.assert_frame_equal(project.retrieval, written, check_exact=False)
    assert project.retrieval.attrs["measured_on"].endswith(")")  # the machine and the date
    assert project.manifest["machine"] in project.retrieval.attrs["measured_on"]
    pipe = project.pipeline()
    assert pipe.retrieval(project.query_set) is project.retrieval  # nothing recomputed

    labelled = tmp_path / "labels"
    assert main(["demo", "--queries", "labels", "--only", "retrieval", "--out", str(labelled)]) == 0
    record = json.loads((labelled / f"{PREFIX}retrieval.json").read_text())
    assert record["labels_as_answers"] and record["table"][0]["queries"] == 360


def test_uploaded_vectors_need_the_queries_vectors(query_file, tmp_path, capsys):
    demo = load_demo_corpus()
    rng = np.random.default_rng(0)
    vectors = tmp_path / "v.npy"
    np.save(vectors, rng.normal(size=(len(demo), 16)).astype(np.float32))
    args = ["demo", "--vectors", str(vectors), "--queries", str(query_file), "--only", "retrieval"]
    assert main([*args, "--out", str(tmp_path)]) == 2
    assert "upload the queries' vectors too" in capsys.readouterr().err
    asked = tmp_path / "q.npy"
    np.save(asked, np.load(vectors)[::3][:120] + 0.01)  # each query next to its own document
    assert main([*args, "--query-vectors", str(asked), "--out", str(tmp_path)]) == 0
    table = next(tmp_path.glob("*retrieval.csv"))
    assert pd.read_csv(table).loc[0, "hit_at_k"] == 1.0


def _refuse(constant: str):
    raise ValueError(f"{constant} is not JSON")


def test_the_retrieval_json_is_strict_json_when_a_share_is_unknown(tmp_path):
    demo = load_demo_corpus()
    asked = range(0, 360, 40)  # each query is a document's own text; its answer is another one
    queries = tmp_path / "elsewhere.csv"
    pd.DataFrame(
        {
            "query": [demo.texts[i] for i in asked],
            "relevant": [demo.ids[(i + 180) % 360] for i in asked],
        }
    ).to_csv(queries, index=False)
    args = ["demo", "--queries", str(queries), "--only", "retrieval", "--ladder", "256,32"]
    assert main([*args, "--k", "2", "--out", str(tmp_path)]) == 0
    text = (tmp_path / f"{PREFIX}retrieval.json").read_text()
    record = json.loads(text, parse_constant=_refuse)
    full = record["table"][0]
    assert full["recall_at_k"] == 0.0 and full["recall_at_k_share"] is None
