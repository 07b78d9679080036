// The map: every ready size's points, the slider and play button that move between sizes in
// the browser (the points glide from one size's places and colours to the next), zoom and pan
// kept across sizes, names, legend, hover text and box or lasso selection. Knows nothing of
// Streamlit: the bridge (bridge.js) and the standalone file (standalone.js) feed it packs.

import { hoverText } from "./decode.js";
import { Renderer, colourBytes } from "./gl.js";
import { placeLabels } from "./labels.js";
import { insideBox, insideLasso, nearest, screenPositions } from "./pick.js";
import { buildUi } from "./ui.js";
import { View } from "./view.js";

const GLIDE_MS = 500;
const HOLD_MS = 700;         // a played ladder rests this long at each size
const HOVER_RADIUS = 8;      // pixels
const ease = (t) => t * t * (3 - 2 * t);

function pointSize(n) {
  return n <= 2_000 ? 7 : n <= 20_000 ? 4 : n <= 200_000 ? 3 : 2;
}

export class MapApp {
  constructor(root, { height = 600, onSize = () => {}, onSelect = () => {} } = {}) {
    this.ui = buildUi(root, height);
    this.renderer = new Renderer(this.ui.canvas);
    this.view = new View();
    this.sizes = new Map();   // dim → {dim, meta, xy, frame, codes, buffers}
    this.dims = [];           // ready sizes, ascending
    this.texts = null;
    this.paint = { meta: { mode: "community" }, arrays: {} };
    this.columnColour = null; // the column's colour buffer, shared by every size
    this.selection = null;    // drawn-point indices selected, or null
    this.shown = null;        // the size on screen (the glide's target while gliding)
    this.glide = null;        // {from, to, start}
    this.names = true;
    this.onSize = onSize;
    this.onSelect = onSelect;
    this.debug = { frames: 0, glideFrames: 0, steps: [], glides: [], lastStepMs: null };
    this.pending = false;
    this.stepStart = null;
    this.playing = null;
    this.positions = null;    // cached screen positions {key, points}
    this.ui.wire(this);
    this.resize();
    new ResizeObserver(() => this.resize()).observe(this.ui.stage);
  }

  get count() {
    return this.texts ? this.texts.meta.n : this.sizes.size ? this.sizes.values().next().value.xy.length / 2 : 0;
  }

  clear() {
    for (const size of this.sizes.values()) {
      this.renderer.release(size.buffers.xy);
      this.renderer.release(size.buffers.colour);
    }
    this.sizes.clear();
    this.dims = [];
    this.shown = null;
    this.glide = null;
    this.selection = null;
    this.view.fitted = false;
    this.positions = null;
  }

  // --- data -----------------------------------------------------------------------------------

  setTexts(pack) {
    this.texts = pack;
    this.ui.setTitle(pack.meta.title ?? "");
  }

  addSize(pack) {
    const { meta, arrays } = pack;
    const old = this.sizes.get(meta.dim);
    if (old) {
      this.renderer.release(old.buffers.xy);
      this.renderer.release(old.buffers.colour);
    }
    const size = {
      dim: meta.dim, meta, xy: arrays.xy, codes: arrays.colour,
      frame: [meta.origin[0], meta.origin[1], meta.step],
      buffers: { xy: this.renderer.buffer(arrays.xy), colour: null },
    };
    size.buffers.colour = this.renderer.buffer(colourBytes(size.codes, meta.palette));
    this.sizes.set(meta.dim, size);
    this.dims = [...this.sizes.keys()].sort((a, b) => a - b);
    this.renderer.count = arrays.xy.length / 2;
    if (!this.renderer.emphasis) this.updateEmphasis();
    if (this.shown === null) this.shown = meta.dim;
    if (!this.view.fitted) this.fitView();
    this.positions = null;
    this.ui.setDims(this.dims, this.shown);
    this.request();
  }

  setPaint(pack) {
    this.paint = pack;
    this.renderer.release(this.columnColour);
    this.columnColour = pack.meta.mode === "column"
      ? this.renderer.buffer(colourBytes(pack.arrays.colour, pack.meta.palette)) : null;
    this.updateEmphasis();
    this.request();
  }

  setNames(on) {
    this.names = on;
    this.ui.names.checked = on;
    this.request();
  }

  bounds(size) {
    const [x0, y0, step] = size.frame;
    let [lx, ly, hx, hy] = [65535, 65535, 0, 0];
    const { xy } = size;
    for (let i = 0; i < xy.length; i += 2) {
      if (xy[i] === 65535) continue;
      if (xy[i] < lx) lx = xy[i];
      if (xy[i] > hx) hx = xy[i];
      if (xy[i + 1] < ly) ly = xy[i + 1];
      if (xy[i + 1] > hy) hy = xy[i + 1];
    }
    return [x0 + lx * step, y0 + ly * step, x0 + hx * step, y0 + hy * step];
  }

  fitView() {
    const size = this.sizes.get(this.shown);
    if (!size) return;
    const { width, height } = this.ui.cssSize();
    this.view.fit(this.bounds(size), width, height);
    this.moved();
  }

  updateEmphasis() {
    const n = this.renderer.count;
    if (!n) return;
    const values = new Uint8Array(n);
    const highlight = this.paint.arrays.highlight;
    if (this.selection) {
      values.fill(1);
      for (const i of this.selection) values[i] = 2;
    } else if (highlight) {
      for (let i = 0; i < n; i++) values[i] = highlight[i] ? 2 : 1;
    }
    this.renderer.setEmphasis(values);
  }

  // --- moving between sizes ---------------------------------------------------------------------

  goTo(dim, { glide = true, byUser = false } = {}) {
    if (!this.sizes.has(dim) || dim === this.shown) return;
    const from = this.glide ? this.glideTarget() : this.shown;
    this.glide = glide && this.sizes.has(from) ? { from, to: dim, start: null, frames: 0 } : null;
    this.shown = dim;
    this.positions = null;
    this.ui.setDims(this.dims, dim);
    if (byUser) this.onSize(dim);
    this.request();
  }

  glideTarget() {
    return this.glide.to;
  }

  step(dim) {  // a slider step by the user: timed from the input to its first frame drawn
    this.stepStart = performance.now();
    this.goTo(dim, { byUser: true });
  }

  play(on) {
    clearTimeout(this.playing);
    this.playing = null;
    this.ui.setPlaying(on);
    if (!on) return;
    const next = () => {
      const down = [...this.dims].reverse();
      const at = down.indexOf(this.shown);
      this.goTo(down[(at + 1) % down.length], { byUser: true });
      this.playing = setTimeout(next, GLIDE_MS + HOLD_MS);
    };
    next();
  }

  // --- drawing --------------------------------------------------------------------------------

  request() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame((now) => this.frame(now));
  }

  colourOf(size) {
    return this.columnColour ?? size.buffers.colour;
  }

  frame(now) {
    this.pending = false;
    const view = this.view.uniforms(this.ui.canvas.width / this.ui.ratio, this.ui.canvas.height / this.ui.ratio);
    let t = 1;
    let from = this.sizes.get(this.shown);
    const to = from;
    if (this.glide) {
      if (this.glide.start === null) this.glide.start = now;
      const share = Math.min(1, (now - this.glide.start) / GLIDE_MS);
      t = ease(share);
      from = this.sizes.get(this.glide.from);
      this.glide.frames += 1;
      this.debug.glideFrames += 1;
      if (share >= 1) {
        this.debug.glides.push({ frames: this.glide.frames, ms: now - this.glide.start });
        this.glide = null;
        t = 1;
        from = to;
      }
    }
    if (!to) {
      this.renderer.draw(null);
      return;
    }
    const size = pointSize(this.renderer.count);
    this.renderer.draw(
      { xy: from.buffers.xy, colour: this.colourOf(from), frame: from.frame },
      { xy: to.buffers.xy, colour: this.colourOf(to), frame: to.frame },
      t, view, size * this.ui.ratio,
    );
    this.debug.frames += 1;
    if (this.stepStart !== null) {
      this.renderer.finish();
      this.debug.lastStepMs = performance.now() - this.stepStart;
      this.debug.steps.push(this.debug.lastStepMs);
      this.stepStart = null;
    }
    const labelled = this.glide ? (t < 0.5 ? from : to) : to;
    this.drawOverlay(labelled, t);
    if (this.glide) this.request();
  }

  drawOverlay(size, t) {
    const { width, height } = this.ui.cssSize();
    const key = `${size.dim} ${this.paint.meta.mode} ${this.names} ${this.viewKey()}`;
    if (key !== this.overlayKey) {
      this.overlayKey = key;
      const column = this.paint.meta.mode === "column";
      const labels = !this.names ? [] : column ? (this.paint.meta.labels?.[size.dim] ?? []) : size.meta.labels;
      placeLabels(this.ui.labels, labels, this.view, width, height);
      const meta = column ? this.paint.meta : size.meta;
      this.ui.setLegend(column ? meta.title : "community", meta.legend, meta.palette);
      const notes = [size.meta.note, this.paint.meta.note].filter(Boolean);
      this.ui.setNote(notes.join(" · "));
    }
    this.ui.labels.style.opacity = this.glide ? String(Math.abs(2 * t - 1)) : "1";
  }

  viewKey() {
    return `${this.view.cx} ${this.view.cy} ${this.view.ppu} ${this.ui.canvas.width}`;
  }

  resize() {
    this.ui.fitCanvas();
    this.positions = null;
    if (!this.view.fitted) this.fitView();
    this.request();
  }

  moved() {
    this.positions = null;
    this.request();
  }

  // --- pointing ---------------------------------------------------------------------------------

  screenPoints() {
    const { width, height } = this.ui.cssSize();
    const key = `${this.shown} ${this.viewKey()}`;
    if (this.positions?.key !== key) {
      const size = this.sizes.get(this.shown);
      this.positions = { key, points: size ? screenPositions(size, this.view, width, height) : new Float32Array() };
    }
    return this.positions.points;
  }

  hover(px, py) {
    if (this.glide || !this.sizes.size) return this.ui.hideTip();
    const i = nearest(this.screenPoints(), px, py, HOVER_RADIUS);
    if (i < 0) return this.ui.hideTip();
    const text = this.texts ? hoverText(this.texts, i) : `row ${i}`;
    this.ui.showTip(text, px, py);
  }

  select(shape) {
    const points = this.screenPoints();
    const found = shape.box ? insideBox(points, ...shape.box) : insideLasso(points, shape.lasso);
    this.selection = found.length ? found : null;
    this.updateEmphasis();
    this.request();
    const rows = this.texts?.arrays.rows;
    this.onSelect(found.map((i) => (rows ? rows[i] : i)));
    this.ui.setSelected(found.length);
  }

  clearSelection() {
    this.selection = null;
    this.updateEmphasis();
    this.request();
    this.onSelect([]);
    this.ui.setSelected(0);
  }
}
