"""A project zip unpacked through the one archive reader (core.io.archive): the manifest first,
then only the tables it lists, each stopped as soon as it exceeds the size the manifest gives."""

from __future__ import annotations

from pathlib import Path

from core.io.archive import Archive, Member
from core.project.manifest import MAX_MANIFEST_BYTES, check_manifest
from core.project.schema import MANIFEST, TABLES
from core.runtime.errors import ExplorerError
from core.runtime.units import size_text

_ADVICE = "Zip the project folder as it was written."
# the entries a project's zip may hold: its tables and manifest with room for folders and the
# metadata files an archiver adds beside each (macOS Finder's __MACOSX/._NAME)
_MAX_ZIP_ENTRIES = 4 * (len(TABLES) + 1)


def unzip_project(name: str, data: bytes, into: Path) -> dict:
    """Unpack a project zip's tables into `into` and return its checked manifest."""
    with Archive(name, data, _MAX_ZIP_ENTRIES, advice=_ADVICE) as archive:
        members = _members(name, archive)
        if MANIFEST not in members:
            raise ExplorerError(f"{name} is not a project: it has no {MANIFEST}.")
        manifest = check_manifest(
            name, _unpack(name, archive, members[MANIFEST], MAX_MANIFEST_BYTES)
        )
        for file, entry in manifest["files"].items():
            if file in members:
                _unpack(name, archive, members[file], entry["bytes"], into / file)
    return manifest


def _members(name: str, archive: Archive) -> dict[str, Member]:
    """The project's files by name, refused if any path leaves the archive; one top folder
    holding everything is looked inside."""
    unsafe = archive.outside()
    if unsafe:
        raise ExplorerError(
            f"{name} holds paths outside the project ({unsafe[0][:80]!r}); it was not "
            f"opened. {_ADVICE}"
        )
    # hidden files (.DS_Store, __MACOSX/._NAME) are an archiver's, not the project's
    files = archive.files()
    tops = {member.path.split("/")[0] for member in files if "/" in member.path}
    strip = f"{tops.pop()}/" if len(tops) == 1 and all("/" in m.path for m in files) else ""
    return {
        member.path.removeprefix(strip): member
        for member in files
        if "/" not in member.path.removeprefix(strip)
    }


def _unpack(
    name: str, archive: Archive, member: Member, cap: int, target: Path | None = None
) -> bytes:
    """One member, stopped past `cap` bytes: written to `target`, or returned when there is none
    (the manifest, which is small)."""
    if member.size > cap:
        raise ExplorerError(
            f"{name}: {member.info.filename} unpacks to {size_text(member.size)}, more than its "
            f"manifest says ({size_text(cap)}); it was not opened."
        )
    too_big = (
        f"{name}: {member.info.filename} unpacks to more than its manifest says "
        f"({size_text(cap)}); it was not opened."
    )
    if target is None:
        return archive.read(member, cap, too_big)
    archive.extract(member, cap, too_big, target)
    return b""
