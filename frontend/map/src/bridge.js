// Streamlit's component messages (components v1): each render brings a manifest (the keys of
// the texts, the paint and every ready size, and the size the server shows) and, as bytes,
// only the packs this page does not hold yet. The page reports, as its value, the size the
// user is on, the rows selected, and which packs it holds when it lacks some (a page mounted
// anew holds none), so the server sends each pack once.

import { splitBundle, unpack } from "./decode.js";
import { webgl2 } from "./gl.js";
import { MapApp } from "./app.js";

const REPORT_DELAY_MS = 250;  // a size is reported once the slider rests this long

const send = (type, fields) =>
  window.parent.postMessage({ isStreamlitMessage: true, type, ...fields }, "*");

export function startBridge(root) {
  const value = { webgl: true, dim: null, dim_seq: 0, rows: [], rows_seq: 0, held: null, held_seq: 0 };
  const report = () => send("streamlit:setComponentValue", { value: { ...value }, dataType: "json" });
  if (!webgl2(document.createElement("canvas"))) {
    value.webgl = false;
    send("streamlit:componentReady", { apiVersion: 1 });
    report();
    return;
  }
  let app = null;
  let timer = null;
  const held = { texts: null, paint: null, sizes: new Map() };
  let serverSeq = -1;
  let queue = Promise.resolve();

  const make = (height) => {
    app = new MapApp(root, {
      height,
      onSize(dim) {
        clearTimeout(timer);
        timer = setTimeout(() => {
          value.dim = dim;
          value.dim_seq += 1;
          report();
        }, REPORT_DELAY_MS);
      },
      onSelect(rows) {
        value.rows = Array.from(rows);
        value.rows_seq += 1;
        report();
      },
    });
    window.mgeMap = app;
    // the frame as tall as the page, the bar's wrapping included
    new ResizeObserver(() =>
      send("streamlit:setFrameHeight", { height: document.documentElement.scrollHeight + 2 }),
    ).observe(document.body);
  };

  async function render(args) {
    const manifest = args.manifest;
    if (!app) make(manifest.height);
    const packs = args.bundle ? splitBundle(args.bundle) : [];
    for (const { key, bytes } of packs) {
      const pack = await unpack(bytes);
      const kind = pack.meta.kind;
      if (kind === "texts") {
        if (held.texts !== null) app.clear();  // another corpus or ladder: its own sizes
        held.sizes.clear();
        app.setTexts(pack);
        held.texts = key;
      } else if (kind === "paint") {
        app.setPaint(pack);
        held.paint = key;
      } else if (kind === "size") {
        app.addSize(pack);
        held.sizes.set(pack.meta.dim, key);
      }
    }
    app.setNames(manifest.names);
    if (manifest.dim_seq > serverSeq) {
      serverSeq = manifest.dim_seq;
      app.goTo(manifest.dim);
    }
    const wanted = [manifest.texts, manifest.paint, ...Object.values(manifest.sizes)];
    const have = [held.texts, held.paint, ...held.sizes.values()];
    if (wanted.some((key) => !have.includes(key))) {
      value.held = have.filter(Boolean);
      value.held_seq += 1;
      report();
    }
  }

  window.addEventListener("message", (event) => {
    if (event.data?.type !== "streamlit:render") return;
    const args = event.data.args;
    queue = queue.then(() => render(args)).catch((error) => console.error(error));
  });
  send("streamlit:componentReady", { apiVersion: 1 });
}
