"""Query sets with known answers: a table of queries and their relevant document ids (CSV, TSV or
JSON Lines), or a BEIR folder (`corpus.jsonl`, `queries.jsonl`, `qrels/*.tsv`, also zipped), and
how their ids are matched to a corpus's documents. Every problem names the row to fix."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from core.analysis.retrieval import Judgements, label_judgements
from core.io.archive import read_members
from core.io.corpus import Corpus, build_corpus, read_files, row_name
from core.io.formats.options import without_surrogates
from core.runtime.cache import cache_key, texts_digest
from core.runtime.errors import ExplorerError
from core.runtime.limits import DEFAULT_LIMITS, Limits
from core.runtime.units import size_text

QUERY_COLUMNS = ("query", "text")  # the first one present holds the query text
RELEVANT_COLUMNS = ("relevant", "relevant_ids", "answers")
QUERY_ID_COLUMNS = ("id", "_id", "query_id", "query-id")
MAX_QUERIES = 20_000
QUERY_FILE_TYPES = (".csv", ".tsv", ".jsonl", ".zip")
BEIR_SPLITS = ("test", "dev", "validation", "train")
LABELS = "labels"  # the query set made from the corpus's labels
_SEPARATOR = ";"
_GRADE = re.compile(r"^(?P<id>.+):(?P<grade>\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class QuerySet:
    """Queries and their relevant documents, by the documents' ids: per query, (id, grade)
    pairs, grade > 0. `rows` names each query's row in its file, for messages. A query set
    made from labels has no texts of its own: `from_labels` holds the label sample's size."""

    name: str
    ids: tuple[str, ...]
    texts: tuple[str, ...]
    relevant: tuple[tuple[tuple[str, float], ...], ...]
    rows: tuple[str, ...] = ()
    from_labels: int = 0

    def __len__(self) -> int:
        return len(self.ids)

    @cached_property
    def fingerprint(self) -> str:
        """Content key of the queries and their answers (not the file's name)."""
        pairs = [
            f"{i}\t{t}\t{r}" for i, t, r in zip(self.ids, self.texts, self.relevant, strict=True)
        ]
        return cache_key({"queries": texts_digest(pairs), "labels": self.from_labels})


def labels_query_set(corpus: Corpus, queries: int = 1000) -> QuerySet:
    """The corpus's labels as answers: up to `queries` sampled documents each ask for the other
    documents with their label (see core.analysis.retrieval.label_judgements)."""
    if corpus.labels is None:
        raise ExplorerError(
            "This corpus has no labels, so labels cannot serve as answers. Choose a label "
            "column on the Corpus & model page, or upload a query file."
        )
    return QuerySet(f"labels of {corpus.name}", (), (), (), from_labels=queries)


def judgements(query_set: QuerySet, corpus: Corpus, seed: int = 0) -> Judgements:
    """The query set's answers as corpus rows. An id that is no document's is refused, naming
    the query's row and the id; a relevant entry `ID:GRADE` whose whole text is no id is read
    as ID with that grade."""
    if query_set.from_labels:
        try:
            return label_judgements(corpus.labels, query_set.from_labels, seed)
        except ValueError:
            raise ExplorerError(
                "No label is shared by two documents, so labels cannot serve as answers."
            ) from None
    row_of = {doc: row for row, doc in enumerate(corpus.ids)}
    empty = set(corpus.empty_ids)
    pairs = []
    for q, answers in enumerate(query_set.relevant):
        for doc, grade in answers:
            if doc not in row_of and doc in empty:
                raise ExplorerError(
                    f"{query_set.name}, {query_set.rows[q]}: the document {doc!r} has no text, so "
                    "it was left out of the corpus and no search can find it. Give it text, or "
                    "take it out of the query's relevant ids."
                )
            if doc not in row_of:
                sample = ", ".join(repr(i) for i in corpus.ids[:3])
                raise ExplorerError(
                    f"{query_set.name}, {query_set.rows[q]}: no document has the id {doc!r} "
                    f"(the corpus's ids look like {sample}). Check the id column chosen for the "
                    "corpus (--id-column) and the query file's relevant ids."
                )
            pairs.append((q, row_of[doc], grade))
    return Judgements.build(pairs, len(query_set))


def query_rows(query_set: QuerySet, corpus: Corpus, seed: int = 0) -> np.ndarray | None:
    """For a labels query set, the corpus rows asked as queries; None for a query file."""
    return judgements(query_set, corpus, seed).exclude if query_set.from_labels else None


# ---------------------------------------------------------------- query files


def read_queries(
    name: str, data: bytes, doc_ids: Sequence[str] = (), *, limits: Limits = DEFAULT_LIMITS
) -> QuerySet:
    """A query set from an uploaded or given file: a table (.csv, .tsv, .jsonl) or a zipped BEIR
    folder. `doc_ids` (the corpus's) decide how `ID:GRADE` entries are read."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".zip":
        return read_beir(_zip_members(name, data, limits), name=name)
    if suffix not in QUERY_FILE_TYPES:
        raise ExplorerError(
            f"{name}: a query set is a {', '.join(QUERY_FILE_TYPES[:-1])} table or a .zip of a "
            "BEIR folder."
        )
    table = read_files([(name, data)], limits=limits)
    return query_table(table, name, set(doc_ids))


def read_query_path(path: Path, doc_ids: Sequence[str] = ()) -> QuerySet:
    """A query set from a file or a BEIR folder on disk."""
    if path.is_dir():
        return read_beir(_folder_members(path), name=path.name)
    if not path.is_file():
        raise ExplorerError(f"{path} does not exist.")
    return read_queries(path.name, path.read_bytes(), doc_ids)


def query_table(table: pd.DataFrame, name: str, doc_ids: set[str] = frozenset()) -> QuerySet:
    """A query set from a parsed table (core.io.corpus.read_files): a query text column
    (QUERY_COLUMNS), a relevant column (RELEVANT_COLUMNS) of `;`-separated document ids, each
    optionally `ID:GRADE`, or a JSON list of ids or object {id: grade}; optionally a query id
    column (QUERY_ID_COLUMNS; default q1, q2, …)."""
    columns = list(table.columns)
    text = _first(columns, QUERY_COLUMNS)
    relevant = _first(columns, RELEVANT_COLUMNS)
    if text is None or relevant is None:
        missing = "a 'query' column" if text is None else "a 'relevant' column"
        shown = ", ".join(repr(str(c)) for c in columns if c != "source")
        raise ExplorerError(
            f"{name} needs {missing}: one row per query, its text in 'query' and the ids of its "
            f"relevant documents in 'relevant' (separated by ';', each optionally ID:GRADE). "
            f"Its columns: {shown}."
        )
    if len(table) > MAX_QUERIES:
        raise ExplorerError(f"{name} has {len(table):,} queries; at most {MAX_QUERIES:,} are read.")
    id_column = _first(columns, QUERY_ID_COLUMNS)
    rows = tuple(row_name(locator) for locator in table.index)
    ids, texts, answers, seen = [], [], [], {}
    for position, (locator, record) in enumerate(zip(rows, table.to_dict("records"), strict=True)):
        query_id = str(record[id_column]).strip() if id_column else f"q{position + 1}"
        where = f"{name}, {locator}"
        if not query_id:
            raise ExplorerError(f"{where}: the query id is empty.")
        if query_id in seen:
            raise ExplorerError(
                f"{where}: the query id {query_id!r} repeats ({seen[query_id]} has it too). "
                "Give every query its own id."
            )
        seen[query_id] = locator
        query = str(record[text]).strip()
        if not query:
            raise ExplorerError(f"{where}: the query text is empty.")
        found = _relevant(str(record[relevant]), where, doc_ids)
        if not found:
            raise ExplorerError(
                f"{where}: the query {query_id!r} lists no relevant document ids (with a grade "
                "above 0)."
            )
        ids.append(query_id)
        texts.append(query)
        answers.append(found)
    if not ids:
        raise ExplorerError(f"{name} holds no queries.")
    return QuerySet(name, tuple(ids), tuple(texts), tuple(answers), rows)


def _first(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lowered = {str(c).strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _relevant(cell: str, where: str, doc_ids: set[str]) -> tuple[tuple[str, float], ...]:
    """(id, grade) pairs of one relevant cell, grade > 0 kept, in order, each id once."""
    cell = cell.strip()
    pairs: list[tuple[str, float]] = []
    if cell.startswith(("[", "{")):
        try:
            value = json.loads(cell)
        except json.JSONDecodeError:
            raise ExplorerError(f"{where}: the relevant ids are not valid JSON.") from None
        items = value.items() if isinstance(value, dict) else ((v, 1) for v in value)
        for doc, grade in items:
            pairs.append((str(doc).strip(), _grade(grade, where)))
    else:
        for token in filter(None, (t.strip() for t in cell.split(_SEPARATOR))):
            graded = _GRADE.match(token)
            if graded and token not in doc_ids:
                pairs.append((graded["id"].strip(), _grade(graded["grade"], where)))
            else:
                pairs.append((token, 1.0))
    best: dict[str, float] = {}
    for doc, grade in pairs:
        if doc and grade > 0:
            best[doc] = max(best.get(doc, 0.0), grade)
    return tuple(best.items())


def _grade(value: object, where: str) -> float:
    try:
        grade = float(value)
    except (TypeError, ValueError):
        raise ExplorerError(f"{where}: the grade {value!r} is not a number.") from None
    if not np.isfinite(grade) or grade < 0:
        raise ExplorerError(f"{where}: the grade {value!r} must be a number of 0 or more.")
    return grade


# ---------------------------------------------------------------- BEIR folders


def is_beir_folder(path: Path) -> bool:
    """Whether a folder looks like a BEIR dataset (queries.jsonl and a qrels folder)."""
    return path.is_dir() and (path / "queries.jsonl").is_file() and (path / "qrels").is_dir()


def read_beir(members: Mapping[str, bytes], *, name: str) -> QuerySet:
    """The query set of a BEIR folder given as {relative path: bytes}: queries.jsonl ({"_id",
    "text"}) and one qrels split (qrels/test.tsv, else dev, validation, train, else the only
    one) of query-id, corpus-id, score rows; queries without a judged answer are left out.
    Queries keep queries.jsonl's order, the order their own vectors are given in."""
    queries_file = _member(members, "queries.jsonl")
    if queries_file is None:
        raise ExplorerError(f"{name}: a BEIR folder needs queries.jsonl beside qrels/.")
    split = _qrels_split(members, name)
    texts: dict[str, str] = {}
    lines: dict[str, str] = {}
    for number, record in _json_lines(members[queries_file], f"{name}/{queries_file}"):
        where = f"{name}/{queries_file}, line {number}"
        query_id, text = str(record.get("_id", "")).strip(), str(record.get("text", "")).strip()
        if not query_id:
            raise ExplorerError(f"{where}: the query has no _id.")
        if query_id in texts:
            raise ExplorerError(
                f"{where}: the query id {query_id!r} repeats ({lines[query_id]} has it too)."
            )
        if not text:
            raise ExplorerError(f"{where}: the query {query_id!r} has no text.")
        texts[query_id], lines[query_id] = text, f"line {number}"
    answers: dict[str, dict[str, float]] = {}
    for number, (query_id, doc, score) in _qrels(members[split], f"{name}/{split}"):
        if query_id not in texts:
            raise ExplorerError(
                f"{name}/{split}, row {number}: the query id {query_id!r} is not in {queries_file}."
            )
        if score > 0:
            judged = answers.setdefault(query_id, {})
            judged[doc] = max(judged.get(doc, 0.0), score)
    if not answers:
        raise ExplorerError(f"{name}/{split} judges no document relevant (score above 0).")
    if len(answers) > MAX_QUERIES:
        raise ExplorerError(f"{name} has {len(answers):,} judged queries; at most {MAX_QUERIES:,}.")
    ids = tuple(q for q in texts if q in answers)
    return QuerySet(
        name,
        ids,
        tuple(texts[q] for q in ids),
        tuple(tuple(answers[q].items()) for q in ids),
        tuple(f"{queries_file} {lines[q]}" for q in ids),
    )


def beir_corpus(path: Path, *, limits: Limits = DEFAULT_LIMITS) -> Corpus:
    """The documents of a BEIR folder's corpus.jsonl ({"_id", "title", "text"}; title and text
    joined), with their _id as the document id; a repeated or missing _id is refused."""
    file = path / "corpus.jsonl"
    if not file.is_file():
        raise ExplorerError(f"{path}: a BEIR folder needs corpus.jsonl for its documents.")
    if file.stat().st_size > limits.max_total_bytes:
        raise ExplorerError(
            f"{file} is {size_text(file.stat().st_size)}; the limit is "
            f"{size_text(limits.max_total_bytes)}."
        )
    ids, texts, seen = [], [], {}
    for number, record in _json_lines(file.read_bytes(), str(file)):
        doc = str(record.get("_id", "")).strip()
        if not doc:
            raise ExplorerError(f"{file}, line {number}: the document has no _id.")
        if doc in seen:
            raise ExplorerError(
                f"{file}, line {number}: the document id {doc!r} repeats (line {seen[doc]} has "
                "it too). Every document needs its own id."
            )
        seen[doc] = number
        ids.append(doc)
        texts.append(" ".join(str(record.get(f) or "").strip() for f in ("title", "text")).strip())
        if len(ids) > limits.max_documents:
            raise ExplorerError(f"{file} has more than {limits.max_documents:,} documents.")
    table = pd.DataFrame({"_id": ids, "text": texts}, index=[f"line {i}" for i in seen.values()])
    return build_corpus(table, "text", id_column="_id", name=path.name, limits=limits)


def _qrels_split(members: Mapping[str, bytes], name: str) -> str:
    found = sorted(p for p in members if p.startswith("qrels/") and p.endswith(".tsv"))
    if not found:
        raise ExplorerError(f"{name}: a BEIR folder needs qrels/*.tsv (e.g. qrels/test.tsv).")
    for split in BEIR_SPLITS:
        if f"qrels/{split}.tsv" in found:
            return f"qrels/{split}.tsv"
    if len(found) == 1:
        return found[0]
    raise ExplorerError(
        f"{name}: several qrels files ({', '.join(found)}) and none named test, dev or train."
    )


def _qrels(data: bytes, where: str):
    """(row number, (query id, corpus id, score)) of a qrels TSV, its header skipped."""
    text = _decoded(data, where)
    for number, line in enumerate(text.splitlines(), start=0):
        if not line.strip() or (number == 0 and "query" in line.lower()):
            continue
        parts = line.split("\t")
        if len(parts) < 2:
            raise ExplorerError(f"{where}, row {number}: expected query-id, corpus-id, score.")
        score = parts[2].strip() if len(parts) > 2 else "1"
        yield number, (parts[0].strip(), parts[1].strip(), _grade(score, f"{where}, row {number}"))


def _json_lines(data: bytes, where: str):
    """(line number, object) of a JSON-lines file, lone surrogates in its strings replaced as
    every corpus reader does (core.io.formats.options.without_surrogates)."""
    for number, line in enumerate(_decoded(data, where).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            raise ExplorerError(f"{where}, line {number}: not valid JSON.") from None
        if not isinstance(record, dict):
            raise ExplorerError(f"{where}, line {number}: expected a JSON object.")
        yield number, {_plain(key): _plain(value) for key, value in record.items()}


def _plain(value: object) -> object:
    return without_surrogates(value)[0] if isinstance(value, str) else value


def _decoded(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExplorerError(f"{where} is not UTF-8 text.") from None


def _member(members: Mapping[str, bytes], file: str) -> str | None:
    return file if file in members else None


def _folder_members(path: Path) -> dict[str, bytes]:
    """queries.jsonl and qrels/*.tsv of a BEIR folder (corpus.jsonl is read by beir_corpus)."""
    files = [path / "queries.jsonl", *sorted((path / "qrels").glob("*.tsv"))]
    return {f.relative_to(path).as_posix(): f.read_bytes() for f in files if f.is_file()}


def _zip_members(name: str, data: bytes, limits: Limits) -> dict[str, bytes]:
    """queries.jsonl and qrels/*.tsv of a zipped BEIR folder (with or without one top folder),
    read within the upload limits."""
    found = read_members(name, data, limits, keep=lambda path: _beir_file(path) is not None)
    return {_beir_file(path): content for path, content in found}


def _beir_file(path: str) -> str | None:
    """A zipped file's name in its BEIR folder (queries.jsonl, qrels/NAME.tsv), else None."""
    parts = path.split("/")
    inner = "/".join(parts[-2:]) if parts[-2:-1] == ["qrels"] else parts[-1]
    if inner == "queries.jsonl" or (inner.startswith("qrels/") and inner.endswith(".tsv")):
        return inner
    return None


def read_query_vectors(name: str, data: bytes, query_set: QuerySet, dims: int) -> np.ndarray:
    """The queries' own vectors (for uploaded corpus vectors, which have no model to embed the
    queries with): one row per query in the query set's order, as many dimensions as the
    corpus's."""
    from core.io.vectors import read_vectors

    vectors = read_vectors(name, data).vectors
    if vectors.shape[0] != len(query_set):
        shown = ", ".join(repr(q) for q in query_set.ids[:3]) + ", …" * (len(query_set) > 3)
        raise ExplorerError(
            f"{name} has {vectors.shape[0]:,} rows but the query set has {len(query_set):,} "
            f"queries (a BEIR folder's without a judged answer are left out); give one row per "
            f"query of the set, in its order: {shown}"
        )
    if vectors.shape[1] != dims:
        raise ExplorerError(
            f"{name} has {vectors.shape[1]:,} dimensions but the corpus's vectors have {dims:,}."
        )
    return vectors
