"""Zip members read bounded and path-safe: the entry count an archive declares, member paths that
stay inside it, and decompression that stops at a cap (a header may understate a member)."""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from typing import BinaryIO

from core.runtime.errors import ExplorerError

_CHUNK = 64 * 1024
_DRIVE_PREFIX = re.compile(r"^[A-Za-z]:")
_END_RECORD = b"PK\x05\x06"  # end of central directory: its entry count is at bytes 10-11
_ZIP64_LOCATOR = b"PK\x06\x07"  # points at the zip64 end record, whose count is at 32-39
_END_SEARCH = 22 + 0xFFFF  # the end record plus the longest archive comment


def declared_entries(data: bytes) -> int | None:
    """How many entries the archive's end record declares, read before the central directory
    is parsed (a small zip can declare a million entries); None if there is no end record."""
    tail_start = max(0, len(data) - _END_SEARCH)
    end = data.rfind(_END_RECORD, tail_start)
    if end < 0 or end + 22 > len(data):
        return None
    (count,) = struct.unpack_from("<H", data, end + 10)
    locator = end - 20
    if count == 0xFFFF and locator >= 0 and data[locator : locator + 4] == _ZIP64_LOCATOR:
        (record,) = struct.unpack_from("<Q", data, locator + 8)
        if record + 40 <= len(data):
            (count,) = struct.unpack_from("<Q", data, record + 32)
    return count


def safe_path(name: str) -> str | None:
    """A member name as a clean relative path if it stays inside the archive and is no hidden
    file or folder, else None (absolute paths, drive letters, "..", __MACOSX, dot files)."""
    path = name.replace("\\", "/")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if path.endswith("/") or not parts:
        return None
    if path.startswith("/") or _DRIVE_PREFIX.match(path) or ".." in parts:
        return None
    if parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts):
        return None
    return "/".join(parts)


UNPACK_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


def unpack_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, out: BinaryIO, too_big: str
) -> None:
    """Decompress one member into `out` in chunks, raising ExplorerError(too_big) as soon as it
    exceeds cap bytes (a header may understate what a member holds)."""
    size = 0
    with archive.open(info) as handle:
        while chunk := handle.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise ExplorerError(too_big)
            out.write(chunk)
