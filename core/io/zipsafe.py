"""Zip archives read in memory, bounded and path-safe: member counts and sizes are checked from
the headers before anything is decompressed, and again while decompressing."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import PurePosixPath
from typing import BinaryIO

from core.errors import ExplorerError
from core.io.formats import READERS
from core.io.limits import Limits, size_text, too_large

_CHUNK = 64 * 1024
_DRIVE_PREFIX = re.compile(r"^[A-Za-z]:")
_MEMBER_TEXT = ", ".join(READERS)
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


def expand_zip(name: str, data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    """The supported members of a zip, read in memory with sizes checked from the headers and
    again while decompressing; unsafe paths, hidden files, folders and nested zips are skipped."""
    entries = declared_entries(data)
    if entries is not None and entries > limits.max_zip_entries:
        raise ExplorerError(
            f"{name} declares {entries:,} entries; the limit is {limits.max_zip_entries:,} "
            "per zip. Split it into several zips."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ExplorerError(f"{name} is not a readable zip archive. Re-create the zip.") from None
    with archive:
        members = [
            (member_name, info)
            for info in archive.infolist()
            if (member_name := _safe_member_name(info)) is not None
        ]
        if not members:
            raise ExplorerError(
                f"{name} contains no files that can be read. Supported inside a zip: "
                f"{_MEMBER_TEXT} (nested zips, hidden files and "
                "paths outside the archive such as ../ are skipped)."
            )
        if len(members) > limits.max_zip_members:
            raise ExplorerError(
                f"{name} holds {len(members):,} files; the limit is {limits.max_zip_members:,} "
                "per zip. Split it into several zips."
            )
        declared = sum(info.file_size for _, info in members)
        if declared > limits.max_zip_uncompressed:
            raise ExplorerError(
                f"{name} unpacks to {size_text(declared)}; the limit is "
                f"{size_text(limits.max_zip_uncompressed)}. Zip fewer or smaller files."
            )
        expanded = []
        budget = limits.max_zip_uncompressed
        for member_name, info in members:
            if info.file_size > limits.max_file_bytes:
                raise too_large(f"{name}: {member_name}", info.file_size, limits.max_file_bytes)
            content = _read_member(name, archive, info, min(info.file_size, budget))
            budget -= len(content)
            expanded.append((member_name, content))
    return expanded


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


def _safe_member_name(info: zipfile.ZipInfo) -> str | None:
    """The member's path if it is a supported, non-hidden file inside the archive, else None."""
    path = None if info.is_dir() else safe_path(info.filename)
    if path is None or PurePosixPath(path).suffix.lower() not in READERS:
        return None
    return path


def _read_member(name: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Decompress one member in chunks, stopping as soon as it exceeds cap bytes."""
    if info.flag_bits & 0x1:
        raise ExplorerError(
            f"{name}: {info.filename} is password-protected. Zip the files without a password."
        )
    out = io.BytesIO()
    try:
        unpack_member(
            archive,
            info,
            cap,
            out,
            f"{name}: {info.filename} unpacks to more data than the archive declares or allows "
            f"(over {size_text(cap)}). The zip looks damaged or crafted; re-create it.",
        )
    except UNPACK_ERRORS as error:
        raise ExplorerError(
            f"{name}: {info.filename} could not be unpacked ({error}). Re-create the zip."
        ) from None
    return out.getvalue()


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
