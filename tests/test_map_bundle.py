"""The committed WebGL map bundle (frontend/map/dist/map.js) is built from the sources beside
it: its first line carries the digest build.mjs takes of them, recomputed here without npm."""

import hashlib
import re

from core.viz.ladder_html import BUNDLE, FRONTEND


def _source_digest() -> str:
    digest = hashlib.sha256()
    files = sorted(f"src/{path.name}" for path in (FRONTEND / "src").glob("*.js"))
    for name in [*files, "package-lock.json"]:
        digest.update(f"{name}\n".encode())
        digest.update((FRONTEND / name).read_bytes())
        digest.update(b"\n")
    return digest.hexdigest()


def test_committed_bundle_is_built_from_the_current_sources():
    first = BUNDLE.read_text(encoding="utf-8").split("\n", 1)[0]
    stamped = re.search(r"sources ([0-9a-f]{64})", first)
    assert stamped, "the bundle carries no source digest: rebuild it"
    assert stamped.group(1) == _source_digest(), (
        "frontend/map/dist/map.js is older than its sources: "
        "cd frontend/map && npm ci && npm run build"
    )
