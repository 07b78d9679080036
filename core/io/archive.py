"""The one reader of zip archives, for every zip the app takes (uploaded documents, zipped BEIR
folders, projects, the .docx check): the central directory's entries counted before Python's
zipfile lists them, member paths that stay inside the archive, and decompression that stops at a
cap (a header may understate a member)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.runtime.errors import ExplorerError
from core.runtime.limits import Limits, too_large
from core.runtime.units import size_text

_CHUNK = 64 * 1024
_DRIVE_PREFIX = re.compile(r"^[A-Za-z]:")
# The records that locate the central directory, read as zipfile reads them (its _EndRecData and
# _RealGetContents), so that the directory counted here is the one zipfile would list.
_END = struct.Struct("<4s4H2LH")  # signature, disks, entries here, entries, size, offset, comment
_END_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_END = struct.Struct("<4sQ2H2L4Q")  # ..., entries here, entries, size, offset
_ZIP64_END_SIGNATURE = b"PK\x06\x06"
_HEADER = struct.Struct("<4s6H3L5H2L")  # one central directory header before its names
_HEADER_SIGNATURE = b"PK\x01\x02"
_COMMENT_SEARCH = 1 << 16  # how far back zipfile looks for the end record


def declared_entries(data: bytes) -> int | None:
    """How many entries the archive's end record declares; None if there is no end record."""
    found = _directory(data)
    return None if found is None else found[0]


def listed_entries(data: bytes, stop: int) -> int:
    """How many entries the central directory holds, counted header by header without building
    any of them, and no further than `stop` + 1 (zipfile lists every header that fits in the
    directory's declared size, whatever count the end record declares)."""
    found = _directory(data)
    if found is None:
        return 0
    _, start, size = found
    if start < 0:
        return 0
    end = min(start + size, len(data))
    count, at = 0, start
    while at + _HEADER.size <= end and count <= stop:
        header = _HEADER.unpack_from(data, at)
        if header[0] != _HEADER_SIGNATURE:
            break
        name, extra, comment = header[10:13]
        at += _HEADER.size + name + extra + comment
        count += 1
    return count


def _directory(data: bytes) -> tuple[int, int, int] | None:
    """The declared entry count, start and size of the central directory, found as zipfile finds
    them; None when there is no end record (zipfile then refuses the archive)."""
    end = len(data) - _END.size
    if not (end >= 0 and data[end : end + 4] == _END_SIGNATURE and data[-2:] == b"\0\0"):
        end = data.rfind(_END_SIGNATURE, max(0, len(data) - _COMMENT_SEARCH - _END.size))
        if end < 0 or end + _END.size > len(data):
            return None
    _, _, _, _, count, size, offset, _ = _END.unpack_from(data, end)
    locator = end - _ZIP64_LOCATOR.size
    record = locator - _ZIP64_END.size
    if record >= 0 and data[locator : locator + 4] == _ZIP64_LOCATOR_SIGNATURE:
        fields = _ZIP64_END.unpack_from(data, record)
        if fields[0] == _ZIP64_END_SIGNATURE:
            count, size = fields[7], fields[8]
            end = record
    return count, end - size, size


def inside_path(name: str) -> str | None:
    """A member name as a clean relative path if it stays inside the archive, else None
    (folders, absolute paths, drive letters, "..")."""
    path = name.replace("\\", "/")
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if path.endswith("/") or not parts:
        return None
    if path.startswith("/") or _DRIVE_PREFIX.match(path) or ".." in parts:
        return None
    return "/".join(parts)


def safe_path(name: str) -> str | None:
    """A member name as a clean relative path if it stays inside the archive and is no hidden
    file or folder, else None (also __MACOSX and dot files, which archivers add)."""
    path = inside_path(name)
    if path is None:
        return None
    parts = path.split("/")
    if parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts):
        return None
    return path


_UNPACK_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError)


@dataclass(frozen=True)
class Member:
    """One file of an archive: its clean relative path and its entry."""

    path: str
    info: zipfile.ZipInfo

    @property
    def size(self) -> int:
        """The size its header declares, which a crafted archive may understate."""
        return self.info.file_size


class Archive:
    """A zip opened for reading once its end record and central directory are known to hold at
    most max_entries entries: zipfile builds an object of about 450 bytes per entry while it
    opens an archive, so a 50-byte entry repeated would make a small upload take gigabytes. An
    archive zipfile cannot read is an ExplorerError too."""

    def __init__(
        self,
        name: str,
        data: bytes,
        max_entries: int,
        *,
        advice: str = "Split it into several zips.",
        unreadable: str = "is not a readable zip archive. Re-create the zip.",
    ) -> None:
        declared = declared_entries(data) or 0
        if declared > max_entries or listed_entries(data, max_entries) > max_entries:
            held = f"declares {declared:,}" if declared > max_entries else "holds more"
            raise ExplorerError(
                f"{name} {held} entries; the limit is {max_entries:,} per zip, folders included. "
                f"{advice}"
            )
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError, EOFError, OSError):
            raise ExplorerError(f"{name} {unreadable}") from None
        self.name = name

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self._zip.close()

    def files(self) -> list[Member]:
        """The files whose paths stay inside the archive and are no hidden files (safe_path)."""
        return [
            Member(path, info)
            for info in self._zip.infolist()
            if not info.is_dir() and (path := safe_path(info.filename)) is not None
        ]

    def outside(self) -> list[str]:
        """The names of the files whose paths leave the archive (absolute, a drive, "..")."""
        return [
            info.filename
            for info in self._zip.infolist()
            if not info.is_dir() and inside_path(info.filename) is None
        ]

    def unpacked_size(self) -> int:
        """What all its entries together declare they unpack to."""
        return sum(info.file_size for info in self._zip.infolist())

    def read(self, member: Member, cap: int, too_big: str) -> bytes:
        """The member's bytes; ExplorerError(too_big) as soon as they exceed cap."""
        out = io.BytesIO()
        self._unpack(member, cap, out, too_big)
        return out.getvalue()

    def extract(self, member: Member, cap: int, too_big: str, target: Path) -> None:
        """The member written to `target`; ExplorerError(too_big) as soon as it exceeds cap."""
        with target.open("wb") as out:
            self._unpack(member, cap, out, too_big)

    def _unpack(self, member: Member, cap: int, out: BinaryIO, too_big: str) -> None:
        """Decompress in chunks, stopping as soon as the member exceeds cap bytes."""
        info = member.info
        if info.flag_bits & 0x1:
            raise ExplorerError(
                f"{self.name}: {info.filename} is password-protected. Zip the files without a "
                "password."
            )
        size = 0
        try:
            with self._zip.open(info) as handle:
                while chunk := handle.read(_CHUNK):
                    size += len(chunk)
                    if size > cap:
                        raise ExplorerError(too_big)
                    out.write(chunk)
        except _UNPACK_ERRORS as error:
            raise ExplorerError(
                f"{self.name}: {info.filename} could not be unpacked ({error}). Re-create the zip."
            ) from None


def read_members(
    name: str, data: bytes, limits: Limits, keep: Callable[[str], bool]
) -> list[tuple[str, bytes]]:
    """(path, bytes) of the files of an uploaded zip whose path `keep` accepts, read in memory
    within the upload limits: their number, each one's size and their total checked from the
    headers, and again while decompressing."""
    with Archive(name, data, limits.max_zip_entries) as archive:
        members = [member for member in archive.files() if keep(member.path)]
        _check_members(name, members, limits)
        expanded, budget = [], limits.max_zip_uncompressed
        for member in members:
            cap = min(member.size, budget)
            too_big = (
                f"{name}: {member.info.filename} unpacks to more data than the archive declares "
                f"or allows (over {size_text(cap)}). The zip looks damaged or crafted; re-create "
                "it."
            )
            content = archive.read(member, cap, too_big)
            budget -= len(content)
            expanded.append((member.path, content))
    return expanded


def _check_members(name: str, members: list[Member], limits: Limits) -> None:
    """Refuse too many members, a total or any one member over the limits, from the headers."""
    if len(members) > limits.max_zip_members:
        raise ExplorerError(
            f"{name} holds {len(members):,} files; the limit is {limits.max_zip_members:,} "
            "per zip. Split it into several zips."
        )
    declared = sum(member.size for member in members)
    if declared > limits.max_zip_uncompressed:
        raise ExplorerError(
            f"{name} unpacks to {size_text(declared)}; the limit is "
            f"{size_text(limits.max_zip_uncompressed)}. Zip fewer or smaller files."
        )
    for member in members:
        if member.size > limits.max_file_bytes:
            raise too_large(f"{name}: {member.path}", member.size, limits.max_file_bytes)
