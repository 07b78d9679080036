"""Project files: one explored corpus on disk (documents, embedding, ordering and every size's
neighbour lists, graph, communities, map, fidelity and lineage) in Parquet tables plus a JSON
manifest, so a run is computed once and opened anywhere with nothing recomputed.

Layout of a project folder (also accepted zipped, with or without one top folder):
  manifest.json        format, version, model, ordering, settings, sizes, fingerprints, versions
                       of the libraries that wrote it, and the sha256 of every table below
  documents.parquet    row, id, text, label, coarse_label, and "column:NAME" per corpus column
  embedding.parquet    vector: the model's full-size vectors, one fixed-size list per document
  rotation.parquet     vector: the PCA rotation's rows (only for PCA ordering)
  neighbours.parquet   dim, row, neighbours (list<int32>), scores (list<float32>)
  graph.parquet        dim, src, dst, weight
  communities.parquet  dim, row, community, recall
  keywords.parquet     dim, community, keywords (list<string>)
  maps.parquet         dim, row, x, y
  fidelity.parquet     the fidelity table (one row per size)
  lineage.parquet      the nesting/AMI summary (one row per step)
  queries.parquet      id, text, relevant (list<string>), grades (list<double>): the query set
                       with known answers, when there is one (labels as answers: no rows, the
                       manifest's "queries" names the sample size)
  query_embedding.parquet  vector: the queries' full-size vectors (a query file's only)
  retrieval.parquet    the retrieval table (one row per size × precision)

Modules: schema (the names above), manifest (written and checked), writing, unzip (a project
zip through core.io.archive), parquet (tables read within bounds), reading (read_project), the
readers per table kind (documents, vectors, sizes, queries, summaries) and opened (Project).
"""

from core.project.opened import Project
from core.project.reading import list_projects, read_project
from core.project.schema import MANIFEST, MEASURED_ON, QUERY_TABLES, TABLES
from core.project.writing import project_zip, write_project

__all__ = [
    "MANIFEST",
    "MEASURED_ON",
    "QUERY_TABLES",
    "TABLES",
    "Project",
    "list_projects",
    "project_zip",
    "read_project",
    "write_project",
]
