"""The ladder as one file: the WebGL map's page (frontend/map/index.html) with its script
(the committed bundle, frontend/map/dist/map.js) and its data packs (core.viz.map_data)
inline, so it opens from disk with no server and no network; a Content-Security-Policy lets
the page fetch nothing at all."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path

FRONTEND = Path(__file__).resolve().parents[2] / "frontend" / "map"
PAGE = FRONTEND / "index.html"
BUNDLE = FRONTEND / "dist" / "map.js"
# Inline script and style only; no fetch, image, font or frame from anywhere.
POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data:; connect-src 'none'"
)


def standalone_html(packs: Sequence[bytes], *, title: str = "Matryoshka map") -> str:
    """The page with `packs` (gzipped map data packs) as base64 in script elements the
    bundle reads, and the bundle itself inline."""
    script = BUNDLE.read_text(encoding="utf-8").replace("</script", "<\\/script")
    data = "\n".join(
        f'<script type="application/x-mge-pack">{base64.b64encode(pack).decode()}</script>'
        for pack in packs
    )
    page = PAGE.read_text(encoding="utf-8")
    policy = f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
    page = page.replace("<!--CSP-->", policy)
    page = page.replace("<title>Matryoshka map</title>", f"<title>{html.escape(title)}</title>")
    page = page.replace("<!--DATA-->", data)
    return page.replace('<script src="dist/map.js"></script>', f"<script>{script}</script>")
