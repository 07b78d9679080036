"""Query sets: query files, BEIR folders, labels as answers, bad files, and the pipeline's
retrieval table on the demo corpus with the real default model."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from core.embed.models import WORDLLAMA, embed, embed_queries
from core.io.corpus import Corpus, build_corpus, load_demo_corpus
from core.io.queries import (
    beir_corpus,
    judgements,
    labels_query_set,
    read_queries,
    read_query_path,
    read_query_vectors,
)
from core.io.vectors import upload_vectors
from core.pipeline import Choice, Pipeline
from core.runtime.errors import ExplorerError
from tests.support import UNLISTED_PEAK, crowded_zip, refused_unlisted

CORPUS = Corpus("toy", ("alpha", "beta", "gamma", "delta"), ("d1", "d2", "d3", "d:4"))


def _csv(text: str) -> bytes:
    return text.strip().encode() + b"\n"


def test_a_query_csv_gives_queries_and_graded_answers():
    data = _csv("id,query,relevant\nq1,first one,d1;d2:2\nq2,second,d:4;d3:0\n")
    found = read_queries("queries.csv", data, CORPUS.ids)
    assert found.ids == ("q1", "q2") and found.texts == ("first one", "second")
    # "d:4" is an id of the corpus, so it is no grade; "d3:0" is d3 at grade 0: left out
    assert found.relevant == ((("d1", 1.0), ("d2", 2.0)), (("d:4", 1.0),))
    judged = judgements(found, CORPUS)
    assert judged.query.tolist() == [0, 0, 1] and judged.row.tolist() == [0, 1, 3]
    assert judged.grade.tolist() == [1, 2, 1]


def test_jsonl_queries_take_lists_and_objects_and_default_ids():
    lines = [
        {"query": "one", "relevant": ["d1", "d3"]},
        {"query": "two", "relevant": {"d2": 3}},
    ]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    found = read_queries("q.jsonl", data, CORPUS.ids)
    assert found.ids == ("q1", "q2")
    assert found.relevant == ((("d1", 1.0), ("d3", 1.0)), (("d2", 3.0),))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id,query,relevant\nq1,a,d1\nq2,b,d9\n",
            r"queries\.csv, row 2: no document has the id 'd9'",
        ),
        ("id,query,relevant\nq1,a,d1\nq2,,d2\n", r"queries\.csv, row 2: the query text is empty"),
        ("id,query,relevant\nq1,a,d1\nq1,b,d2\n", r"row 2: the query id 'q1' repeats \(row 1"),
        ("id,query,relevant\nq1,a,d1\nq2,b,\n", r"row 2: the query 'q2' lists no relevant"),
        ("id,query,answer\nq1,a,d1\n", r"needs a 'relevant' column.*'answer'"),
        ("id,question,relevant\nq1,a,d1\n", r"needs a 'query' column"),
        ("query,relevant\na,d1:x\n", r"no document has the id 'd1:x'"),
        ("query,relevant\na,d1:-2\n", r"no document has the id 'd1:-2'"),
    ],
)
def test_bad_query_files_name_the_row(text, message):
    with pytest.raises(ExplorerError, match=message):
        judgements(read_queries("queries.csv", _csv(text), CORPUS.ids), CORPUS)


def _beir(folder, qrels: str = "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t2\nq2\td3\t0\n"):
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(
        "\n".join(
            json.dumps({"_id": f"d{i}", "title": f"T{i}", "text": f"text {i}"}) for i in (1, 2, 3)
        )
    )
    (folder / "queries.jsonl").write_text(
        '{"_id": "q1", "text": "first"}\n{"_id": "q2", "text": "second"}\n'
        '{"_id": "q3", "text": "unjudged"}\n'
    )
    (folder / "qrels").mkdir()
    (folder / "qrels" / "test.tsv").write_text(qrels)
    return folder


def test_a_beir_folder_gives_corpus_queries_and_graded_qrels(tmp_path):
    folder = _beir(tmp_path / "scifact")
    corpus = beir_corpus(folder)
    assert corpus.ids == ("d1", "d2", "d3") and corpus.texts[0] == "T1 text 1"
    found = read_query_path(folder)
    # q2's only judgement has score 0 and q3 has none: both are left out
    assert found.ids == ("q1",) and found.texts == ("first",)
    assert found.relevant == ((("d1", 1.0), ("d2", 2.0)),)
    judged = judgements(found, corpus)
    assert judged.row.tolist() == [0, 1] and judged.grade.tolist() == [1.0, 2.0]


def test_an_answer_left_out_of_the_corpus_for_having_no_text_is_named_as_such(tmp_path):
    folder = _beir(tmp_path / "blank")
    (folder / "corpus.jsonl").write_text(
        '{"_id": "d1", "text": "pasta"}\n{"_id": "d2", "title": " ", "text": ""}\n'
        '{"_id": "d3", "text": "tennis"}\n{"_id": "d4", "text": "golf"}\n'
    )
    corpus = beir_corpus(folder)
    assert corpus.ids == ("d1", "d3", "d4") and corpus.empty_ids == ("d2",)
    with pytest.raises(
        ExplorerError,
        match=r"queries\.jsonl line 1: the document 'd2' has no text, so it was left out of "
        r"the corpus",
    ):
        judgements(read_query_path(folder), corpus)
    table = pd.DataFrame({"id": ["a", "b", "c", "d"], "text": ["x", "", "y", "z"]})
    assert build_corpus(table, "text", id_column="id").empty_ids == ("b",)


def test_beir_queries_keep_the_order_of_queries_jsonl_whatever_the_qrels_order(tmp_path):
    folder = _beir(tmp_path / "swapped", "q2\td3\t1\nq3\td2\t1\nq1\td1\t1\n")
    found = read_query_path(folder)
    assert found.ids == ("q1", "q2", "q3") and found.texts == ("first", "second", "unjudged")
    assert found.relevant == ((("d1", 1.0),), (("d3", 1.0),), (("d2", 1.0),))
    # vectors given in queries.jsonl's order pair with their own queries
    buffer = io.BytesIO()
    np.save(buffer, np.eye(3, dtype=np.float32))
    vectors = read_query_vectors("q.npy", buffer.getvalue(), found, 3)
    assert dict(zip(found.ids, vectors.argmax(axis=1).tolist(), strict=True)) == {
        "q1": 0,
        "q2": 1,
        "q3": 2,
    }
    buffer = io.BytesIO()
    np.save(buffer, np.ones((4, 3), np.float32))
    with pytest.raises(ExplorerError, match=r"4 rows but the query set has 3 queries.*'q1', 'q2'"):
        read_query_vectors("q.npy", buffer.getvalue(), found, 3)


def test_cut_emoji_in_a_beir_folder_are_replaced_as_in_every_reader(tmp_path):
    folder = _beir(tmp_path / "tweets")
    lines = ['{"_id": "d1", "text": "pasta \\ud83d"}', '{"_id": "d2", "text": "tennis"}']
    (folder / "corpus.jsonl").write_text("\n".join([*lines, '{"_id": "d3", "text": "bread"}']))
    (folder / "queries.jsonl").write_text('{"_id": "q1", "text": "cook \\ud83d"}\n')
    (folder / "qrels" / "test.tsv").write_text("q1\td1\t1\n")
    corpus, found = beir_corpus(folder), read_query_path(folder)
    assert corpus.texts[0] == "pasta \ufffd" and found.texts == ("cook \ufffd",)
    assert (found.texts[0] + corpus.texts[0]).encode("utf-8")  # what tables and models need


def test_a_zipped_beir_folder_reads_like_the_folder(tmp_path):
    folder = _beir(tmp_path / "nf")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.rglob("*"):
            if path.is_file():
                archive.write(path, f"nf/{path.relative_to(folder).as_posix()}")
    zipped, unzipped = read_queries("nf.zip", buffer.getvalue()), read_query_path(folder)
    assert zipped.name == "nf.zip" and zipped.fingerprint == unzipped.fingerprint
    assert zipped.relevant == unzipped.relevant


@pytest.mark.parametrize("declared", [None, 1])
def test_a_beir_zip_of_too_many_entries_is_refused_before_it_is_listed(declared, monkeypatch):
    data = crowded_zip(200_000, declared)
    peak = refused_unlisted(
        lambda: read_queries("beir.zip", data), r"beir\.zip .* entries; the limit is", monkeypatch
    )
    assert peak < UNLISTED_PEAK


def test_beir_qrels_naming_an_unknown_query_name_the_row(tmp_path):
    folder = _beir(tmp_path / "bad", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq9\td2\t1\n")
    with pytest.raises(ExplorerError, match=r"qrels/test\.tsv, row 2: the query id 'q9'"):
        read_query_path(folder)


def test_a_repeated_beir_document_id_is_refused(tmp_path):
    folder = _beir(tmp_path / "dup")
    (folder / "corpus.jsonl").write_text('{"_id": "d1", "text": "a"}\n{"_id": "d1", "text": "b"}\n')
    with pytest.raises(ExplorerError, match=r"line 2: the document id 'd1' repeats \(line 1"):
        beir_corpus(folder)


def test_labels_as_answers_need_labels():
    with pytest.raises(ExplorerError, match="no labels"):
        labels_query_set(CORPUS)
    demo = load_demo_corpus()
    judged = judgements(labels_query_set(demo, 50), demo)
    assert judged.queries == 50
    labels = np.array(demo.labels)
    assert (labels[judged.row] == labels[judged.exclude[judged.query]]).all()


def test_query_vectors_must_fit_the_query_set():
    found = read_queries("q.csv", _csv("query,relevant\na,d1\nb,d2\nc,d3\n"), CORPUS.ids)
    buffer = io.BytesIO()
    np.save(buffer, np.ones((4, 8), dtype=np.float32))
    with pytest.raises(ExplorerError, match="4 rows but the query set has 3 queries"):
        read_query_vectors("q.npy", buffer.getvalue(), found, 8)
    buffer = io.BytesIO()
    np.save(buffer, np.ones((3, 4), dtype=np.float32))
    with pytest.raises(ExplorerError, match="4 dimensions but the corpus's vectors have 8"):
        read_query_vectors("q.npy", buffer.getvalue(), found, 8)


def demo_queries(corpus: Corpus, every: int = 3) -> bytes:
    """A query file for the demo corpus: the first words of every `every`th document ask for
    that document."""
    rows = [
        {"id": f"q{i}", "query": " ".join(corpus.texts[i].split()[:6]), "relevant": corpus.ids[i]}
        for i in range(0, len(corpus), every)
    ]
    return pd.DataFrame(rows).to_csv(index=False).encode()


def test_the_pipeline_measures_the_demo_queries_with_the_real_model():
    demo = load_demo_corpus()
    found = read_queries("demo_queries.csv", demo_queries(demo), demo.ids)
    pipe = Pipeline(Choice(demo, WORDLLAMA, "native"), ladder=(256, 64, 16))
    table = pipe.retrieval(found)
    assert table[["dim", "precision"]].iloc[0].tolist() == [256, "float32"]
    assert len(table) == 3 * 4 and set(table["queries"]) == {120}
    full = table.iloc[0]
    # six words of a document find it among the top ten nearly always at the full size
    assert full["hit_at_k"] > 0.9 and full["mrr_at_10"] > 0.7
    by = table.set_index(["dim", "precision"])["ndcg_at_10"]
    assert by[(16, "binary")] < by[(256, "float32")]
    assert pipe.retrieval(found) is table  # kept in the store
    labelled = pipe.retrieval(labels_query_set(demo, 60))
    assert set(labelled["queries"]) == {60}


def test_queries_take_the_models_query_prompt_and_the_corpus_ordering():
    texts = ["a fast serve on grass", "slow clay courts"]
    assert np.array_equal(embed_queries(texts, WORDLLAMA), embed(texts, WORDLLAMA))
    asking = dataclasses.replace(WORDLLAMA, query_prompt="search_query: ")
    assert not np.allclose(embed_queries(texts, asking), embed(texts, WORDLLAMA))

    demo = load_demo_corpus()
    rng = np.random.default_rng(0)
    buffer = io.BytesIO()
    np.save(buffer, rng.normal(size=(len(demo), 12)).astype(np.float32))
    uploaded = upload_vectors("v.npy", buffer.getvalue(), demo)
    pipe = Pipeline(Choice(demo, uploaded.spec, "pca"), uploaded=uploaded)
    found = read_queries("q.csv", demo_queries(demo, every=30), demo.ids)
    raw = rng.normal(size=(len(found), 12)).astype(np.float32)
    pipe.adopt_query_vectors(found, raw)
    rotated = pipe.query_vectors(found)
    assert np.allclose(rotated, raw @ pipe.ordered().rotation, atol=1e-5)
    assert not np.allclose(rotated, raw)
