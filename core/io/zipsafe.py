"""Uploaded zip archives expanded in memory, bounded and path-safe: member counts and sizes are
checked from the headers before anything is decompressed, and again while decompressing."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

from core.io.formats import READERS
from core.io.zip_members import UNPACK_ERRORS, open_zip, safe_path, unpack_member
from core.runtime.errors import ExplorerError
from core.runtime.limits import Limits, too_large
from core.runtime.units import size_text

_MEMBER_TEXT = ", ".join(READERS)


def expand_zip(name: str, data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    """The supported members of a zip, read in memory with sizes checked from the headers and
    again while decompressing; unsafe paths, hidden files, folders and nested zips are skipped."""
    archive = open_zip(name, data, limits.max_zip_entries)
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
