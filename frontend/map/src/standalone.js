// The ladder as one file (core/viz/ladder_html.py): the packs are inline, base64 in script
// elements of type application/x-mge-pack; nothing is fetched.

import { unpack } from "./decode.js";
import { webgl2 } from "./gl.js";
import { MapApp } from "./app.js";

function bytesOf(base64) {
  const text = atob(base64.trim());
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export async function startStandalone(root, elements) {
  if (!webgl2(document.createElement("canvas"))) {
    const note = document.createElement("p");
    note.textContent = "This map needs WebGL2, which this browser does not offer.";
    root.appendChild(note);
    return;
  }
  const app = new MapApp(root, { height: Math.max(420, window.innerHeight - 110) });
  window.mgeMap = app;
  const packs = [];
  for (const element of elements) packs.push(await unpack(bytesOf(element.textContent)));
  for (const pack of packs) if (pack.meta.kind === "texts") app.setTexts(pack);
  for (const pack of packs) if (pack.meta.kind === "paint") app.setPaint(pack);
  const sizes = packs.filter((pack) => pack.meta.kind === "size");
  sizes.sort((a, b) => b.meta.dim - a.meta.dim);  // the largest size first on screen
  for (const pack of sizes) app.addSize(pack);
  app.ready = true;
}
