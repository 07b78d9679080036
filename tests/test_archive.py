"""The one zip reader (core/io/archive.py): uploaded documents, zipped BEIR folders and projects
are read through it, so each refuses what it refuses, in the same words."""

from __future__ import annotations

import pytest

from core.io.corpus import read_files
from core.io.queries import read_queries
from core.project import MANIFEST, read_project
from core.runtime.errors import ExplorerError
from core.runtime.limits import Limits
from tests.support import zip_of

BEIR = {
    "nf/queries.jsonl": b'{"_id": "q1", "text": "first"}\n',
    "nf/qrels/test.tsv": b"q1\td1\t1\n",
}


def _locked(files: dict[str, bytes], locked: str) -> bytes:
    """The zip of `files` with member `locked` marked password-protected in its directory."""
    data = bytearray(zip_of(files))
    at = data.find(b"PK\x01\x02")
    while data[at + 46 : at + 46 + len(locked)] != locked.encode():
        at = data.find(b"PK\x01\x02", at + 1)
    data[at + 8] |= 0x1  # the general purpose flags' "encrypted" bit
    return bytes(data)


@pytest.mark.parametrize(
    ("read", "member"),
    [
        (lambda data: read_files([("x.zip", data)]), "b.md"),
        (lambda data: read_queries("x.zip", data), "nf/qrels/test.tsv"),
        (lambda data: read_project(data, "x.zip"), MANIFEST),
    ],
    ids=["upload", "beir", "project"],
)
def test_a_password_protected_member_is_refused_by_every_reader(read, member):
    files = {"a.md": b"first", "b.md": b"second", **BEIR, MANIFEST: b"{}"}
    with pytest.raises(ExplorerError, match=f"x.zip: {member} is password-protected"):
        read(_locked(files, member))


def test_a_zipped_beir_folder_is_held_to_the_upload_limits():
    with pytest.raises(ExplorerError, match=r"beir\.zip: nf/queries\.jsonl is 31 B; the limit"):
        read_queries("beir.zip", zip_of(BEIR), limits=Limits(max_file_bytes=10))
