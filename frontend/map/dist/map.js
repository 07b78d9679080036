/* matryoshka map bundle; sources 8c7eccc6bd70f23e13a81c26d745341d728e48819f92211c01d30c57d77a68db; rebuild: cd frontend/map && npm ci && npm run build */
(() => {
  // src/decode.js
  var TYPES = {
    u1: Uint8Array,
    u2: Uint16Array,
    u4: Uint32Array,
    i1: Int8Array,
    i2: Int16Array,
    i4: Int32Array,
    f4: Float32Array,
    f8: Float64Array
  };
  async function gunzip(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  function readPack(body) {
    const magic = String.fromCharCode(...body.subarray(0, 4));
    if (magic !== "MGE1") throw new Error("not a map data pack");
    const length = new DataView(body.buffer, body.byteOffset, 8).getUint32(4, true);
    const header = JSON.parse(new TextDecoder().decode(body.subarray(8, 8 + length)));
    const start = body.byteOffset + 8 + length;
    const arrays = {};
    for (const [name, entry] of Object.entries(header.arrays)) {
      const Type = TYPES[entry.dtype];
      if (!Type) throw new Error(`unknown dtype ${entry.dtype}`);
      arrays[name] = new Type(body.buffer, start + entry.offset, entry.length);
    }
    return { meta: header.meta, arrays };
  }
  async function unpack(bytes) {
    return readPack(await gunzip(bytes));
  }
  function splitBundle(bytes) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = [];
    let at = 0;
    while (at < bytes.byteLength) {
      const keyLength = view.getUint32(at, true);
      const key = new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + keyLength));
      at += 4 + keyLength;
      const length = view.getUint32(at, true);
      out.push({ key, bytes: bytes.subarray(at + 4, at + 4 + length) });
      at += 4 + length;
    }
    return out;
  }
  function hoverText(texts, i) {
    const { offsets, text } = texts.arrays;
    return new TextDecoder().decode(text.subarray(offsets[i], offsets[i + 1]));
  }

  // src/gl.js
  var VERTEX = `#version 300 es
precision highp float;
in vec2 fromXY;
in vec2 toXY;
in vec4 fromColour;
in vec4 toColour;
in float emphasis;           // 0 plain, 1 faded, 2 highlighted
uniform vec3 fromFrame;      // origin x, origin y, step of the from size's codes
uniform vec3 toFrame;
uniform float t;
uniform vec2 centre;         // data units at the middle of the canvas
uniform vec2 scale;          // clip units per data unit
uniform float pointSize;
out vec4 colour;
out float ring;
const float MISSING = 65535.0;

void main() {
  bool noFrom = fromXY.x == MISSING;
  bool noTo = toXY.x == MISSING;
  vec2 a = fromFrame.xy + fromXY * fromFrame.z;
  vec2 b = toFrame.xy + toXY * toFrame.z;
  if (noFrom) a = b;
  if (noTo) b = a;
  vec2 p = mix(a, b, t);
  gl_Position = (noFrom && noTo) ? vec4(2.0, 2.0, 2.0, 1.0)
                                 : vec4((p - centre) * scale, 0.0, 1.0);
  colour = mix(fromColour, toColour, t);
  ring = 0.0;
  gl_PointSize = pointSize;
  if (emphasis > 1.5) {
    gl_PointSize = pointSize + 4.0;
    ring = 1.0;
  } else if (emphasis > 0.5) {
    colour.a = 0.18;
  }
  colour.rgb *= colour.a;    // premultiplied: blended with ONE, ONE_MINUS_SRC_ALPHA
}`;
  var FRAGMENT = `#version 300 es
precision mediump float;
in vec4 colour;
in float ring;
uniform float round;
out vec4 outColour;
void main() {
  if (round > 0.5 || ring > 0.5) {
    vec2 d = gl_PointCoord - 0.5;
    float r = dot(d, d);
    if (r > 0.25) discard;
    if (ring > 0.5 && r > 0.12) { outColour = vec4(0.07, 0.07, 0.07, 1.0); return; }
  }
  outColour = colour;
}`;
  function compile(gl, type, source) {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(shader));
    return shader;
  }
  function webgl2(canvas) {
    return canvas.getContext("webgl2", {
      antialias: false,
      premultipliedAlpha: true,
      preserveDrawingBuffer: true
    });
  }
  function hexRGB(hex) {
    const v = parseInt(hex.slice(1), 16);
    return [v >> 16 & 255, v >> 8 & 255, v & 255];
  }
  function colourBytes(codes, palette) {
    const table = palette.map(hexRGB);
    const out = new Uint8Array(codes.length * 4);
    for (let i = 0; i < codes.length; i++) {
      const c = table[codes[i]] ?? [128, 128, 128];
      out[4 * i] = c[0];
      out[4 * i + 1] = c[1];
      out[4 * i + 2] = c[2];
      out[4 * i + 3] = 255;
    }
    return out;
  }
  var Renderer = class {
    constructor(canvas) {
      const gl = webgl2(canvas);
      if (!gl) throw new Error("WebGL2 is not available");
      this.gl = gl;
      this.canvas = canvas;
      const program = gl.createProgram();
      gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
      gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
      gl.linkProgram(program);
      if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(program));
      this.program = program;
      this.attr = {};
      for (const name of ["fromXY", "toXY", "fromColour", "toColour", "emphasis"])
        this.attr[name] = gl.getAttribLocation(program, name);
      this.uni = {};
      for (const name of ["fromFrame", "toFrame", "t", "centre", "scale", "pointSize", "round"])
        this.uni[name] = gl.getUniformLocation(program, name);
      this.vao = gl.createVertexArray();
      this.emphasis = null;
      this.count = 0;
    }
    buffer(data) {
      const gl = this.gl;
      const buffer = gl.createBuffer();
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
      return buffer;
    }
    update(buffer, data) {
      const gl = this.gl;
      gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
    }
    release(buffer) {
      if (buffer) this.gl.deleteBuffer(buffer);
    }
    setEmphasis(values) {
      if (!this.emphasis) this.emphasis = this.buffer(values);
      else this.update(this.emphasis, values);
    }
    // from, to: {xy: buffer, colour: buffer, frame: [x0, y0, step]}; view: {centre, scale}
    draw(from, to, t, view, pointSize2) {
      const gl = this.gl;
      const { width, height } = this.canvas;
      gl.viewport(0, 0, width, height);
      gl.clearColor(1, 1, 1, 1);
      gl.clear(gl.COLOR_BUFFER_BIT);
      if (!from || !this.count) return;
      gl.useProgram(this.program);
      gl.bindVertexArray(this.vao);
      const bind = (loc, buffer, size, type, normalised) => {
        gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
        gl.enableVertexAttribArray(loc);
        gl.vertexAttribPointer(loc, size, type, normalised, 0, 0);
      };
      bind(this.attr.fromXY, from.xy, 2, gl.UNSIGNED_SHORT, false);
      bind(this.attr.toXY, to.xy, 2, gl.UNSIGNED_SHORT, false);
      bind(this.attr.fromColour, from.colour, 4, gl.UNSIGNED_BYTE, true);
      bind(this.attr.toColour, to.colour, 4, gl.UNSIGNED_BYTE, true);
      bind(this.attr.emphasis, this.emphasis, 1, gl.UNSIGNED_BYTE, false);
      gl.uniform3fv(this.uni.fromFrame, from.frame);
      gl.uniform3fv(this.uni.toFrame, to.frame);
      gl.uniform1f(this.uni.t, t);
      gl.uniform2fv(this.uni.centre, view.centre);
      gl.uniform2fv(this.uni.scale, view.scale);
      gl.uniform1f(this.uni.pointSize, pointSize2);
      gl.uniform1f(this.uni.round, pointSize2 >= 4 ? 1 : 0);
      gl.enable(gl.BLEND);
      gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
      gl.drawArrays(gl.POINTS, 0, this.count);
    }
    // Waits for the frame to be drawn (reading one pixel), so a measured step includes drawing.
    finish() {
      const pixel = new Uint8Array(4);
      this.gl.readPixels(0, 0, 1, 1, this.gl.RGBA, this.gl.UNSIGNED_BYTE, pixel);
    }
  };

  // src/labels.js
  var CHAR_WIDTH = 0.6;
  var LINE_HEIGHT = 1.3;
  var PADDING = 2;
  function placeLabels(layer, candidates, view, width, height) {
    layer.replaceChildren();
    const boxes = [];
    for (const label of candidates) {
      const [x, y] = view.toScreen(label.x, label.y, width, height);
      const longest = Math.max(...label.lines.map((line) => line.length));
      const w = longest * CHAR_WIDTH * label.size + 2 * PADDING;
      const h = label.lines.length * LINE_HEIGHT * label.size + 2 * PADDING;
      const box = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
      if (box[0] < 0 || box[1] < 0 || box[2] > width || box[3] > height) continue;
      if (boxes.some((b) => box[0] < b[2] && b[0] < box[2] && box[1] < b[3] && b[1] < box[3])) continue;
      boxes.push(box);
      const div = document.createElement("div");
      div.className = `label ${label.level}`;
      div.style.left = `${x}px`;
      div.style.top = `${y}px`;
      div.style.fontSize = `${label.size}px`;
      for (const [i, line] of label.lines.entries()) {
        if (i) div.appendChild(document.createElement("br"));
        div.appendChild(document.createTextNode(line));
      }
      layer.appendChild(div);
    }
  }

  // src/pick.js
  var MISSING = 65535;
  function screenPositions(size, view, width, height) {
    const { xy } = size;
    const [x0, y0, step] = size.frame;
    const n = xy.length / 2;
    const out = new Float32Array(n * 2);
    for (let i = 0; i < n; i++) {
      const qx = xy[2 * i];
      if (qx === MISSING) {
        out[2 * i] = NaN;
        out[2 * i + 1] = NaN;
        continue;
      }
      const [sx, sy] = view.toScreen(x0 + qx * step, y0 + xy[2 * i + 1] * step, width, height);
      out[2 * i] = sx;
      out[2 * i + 1] = sy;
    }
    return out;
  }
  function nearest(points, px, py, radius) {
    let best = -1;
    let bestGap = radius * radius;
    for (let i = 0; i < points.length / 2; i++) {
      const dx = points[2 * i] - px;
      const dy = points[2 * i + 1] - py;
      const gap = dx * dx + dy * dy;
      if (gap <= bestGap) {
        bestGap = gap;
        best = i;
      }
    }
    return best;
  }
  function insideBox(points, [ax, ay], [bx, by]) {
    const [x0, x1] = [Math.min(ax, bx), Math.max(ax, bx)];
    const [y0, y1] = [Math.min(ay, by), Math.max(ay, by)];
    const found = [];
    for (let i = 0; i < points.length / 2; i++) {
      const x = points[2 * i];
      const y = points[2 * i + 1];
      if (x >= x0 && x <= x1 && y >= y0 && y <= y1) found.push(i);
    }
    return found;
  }
  function insideLasso(points, polygon) {
    const xs = polygon.map((p) => p[0]);
    const ys = polygon.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const found = [];
    for (let i = 0; i < points.length / 2; i++) {
      const x = points[2 * i];
      const y = points[2 * i + 1];
      if (!(x >= x0 && x <= x1 && y >= y0 && y <= y1)) continue;
      let inside = false;
      for (let a = 0, b = polygon.length - 1; a < polygon.length; b = a++) {
        const [xa, ya] = polygon[a];
        const [xb, yb] = polygon[b];
        if (ya > y !== yb > y && x < (xb - xa) * (y - ya) / (yb - ya) + xa) inside = !inside;
      }
      if (inside) found.push(i);
    }
    return found;
  }

  // src/ui.js
  var CSS = `
.mge { font: 13px system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; user-select: none; }
.mge .bar { display: flex; align-items: center; gap: 8px; padding: 4px 2px 6px; flex-wrap: wrap; }
.mge .bar input[type=range] { flex: 1 1 240px; min-width: 160px; }
.mge .bar .size { min-width: 150px; font-weight: 600; font-variant-numeric: tabular-nums; }
.mge button { font: inherit; padding: 3px 10px; border: 1px solid #bbb; border-radius: 6px; background: #fff; cursor: pointer; }
.mge button.on { background: #e8eefc; border-color: #5b7bd5; }
.mge .title { font-weight: 600; margin: 2px 2px 4px; }
.mge .stage { position: relative; overflow: hidden; border: 1px solid #e3e3e3; border-radius: 6px; }
.mge canvas { display: block; }
.mge canvas.overlay { position: absolute; inset: 0; pointer-events: none; }
.mge .labels { position: absolute; inset: 0; pointer-events: none; transition: none; }
.mge .label { position: absolute; transform: translate(-50%, -50%); text-align: center; white-space: nowrap;
  line-height: 1.3; color: #1a1a1a; text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; }
.mge .label.coarse { font-weight: 700; color: #3a3a3a; }
.mge .tip { position: absolute; display: none; max-width: 360px; padding: 6px 8px; background: rgba(255,255,255,.96);
  border: 1px solid #999; border-radius: 4px; pointer-events: none; white-space: pre-wrap; overflow-wrap: anywhere; z-index: 3; }
.mge .tip b { display: block; }
.mge .legend { position: absolute; right: 6px; top: 6px; max-height: 70%; overflow: auto; background: rgba(255,255,255,.85);
  padding: 4px 6px; border-radius: 4px; font-size: 12px; max-width: 240px; }
.mge .legend .head { font-weight: 600; }
.mge .legend .entry { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.mge .legend .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 5px; margin-right: 5px; vertical-align: -1px; }
.mge .note { position: absolute; left: 6px; bottom: 4px; font-size: 12px; color: #555; background: rgba(255,255,255,.8); padding: 1px 4px; }
.mge .stage.pan { cursor: grab; } .mge .stage.box, .mge .stage.lasso { cursor: crosshair; }
`;
  function element(tag, className, parent, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== void 0) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }
  function buildUi(root2, height) {
    const style = document.createElement("style");
    style.textContent = CSS;
    document.head.appendChild(style);
    const box = element("div", "mge", root2);
    const title = element("div", "title", box);
    const bar = element("div", "bar", box);
    const play = element("button", "play", bar, "\u25B6 Play");
    play.title = "Play the ladder: every size in turn, largest first";
    const slider = element("input", "", bar);
    slider.type = "range";
    slider.min = "0";
    slider.step = "1";
    slider.setAttribute("aria-label", "Embedding dimension on the map");
    const sizeLabel = element("span", "size", bar);
    const modes = {};
    for (const [mode2, text] of [["pan", "Pan"], ["box", "Box select"], ["lasso", "Lasso"]])
      modes[mode2] = element("button", "mode", bar, text);
    const clear = element("button", "clear", bar, "Clear selection");
    clear.style.display = "none";
    const reset = element("button", "reset", bar, "Whole map");
    const namesLabel = element("label", "", bar);
    const names = element("input", "", namesLabel);
    names.type = "checkbox";
    names.checked = true;
    namesLabel.appendChild(document.createTextNode(" Names"));
    const stage = element("div", "stage pan", box);
    stage.style.height = `${height}px`;
    const canvas = element("canvas", "points", stage);
    const labels = element("div", "labels", stage);
    const overlay = element("canvas", "overlay", stage);
    const legend = element("div", "legend", stage);
    const note = element("div", "note", stage);
    const tip = element("div", "tip", stage);
    let dims = [];
    let mode = "pan";
    const ui = {
      canvas,
      stage,
      labels,
      names,
      slider,
      ratio: Math.min(2, window.devicePixelRatio || 1),
      cssSize: () => ({ width: stage.clientWidth, height: stage.clientHeight }),
      fitCanvas() {
        const { width, height: h } = ui.cssSize();
        for (const c of [canvas, overlay]) {
          c.width = Math.max(1, Math.round(width * ui.ratio));
          c.height = Math.max(1, Math.round(h * ui.ratio));
          c.style.width = `${width}px`;
          c.style.height = `${h}px`;
        }
      },
      setTitle: (text) => {
        title.textContent = text;
      },
      setDims(ready, shown) {
        dims = ready;
        slider.max = String(Math.max(0, ready.length - 1));
        slider.value = String(Math.max(0, ready.indexOf(shown)));
        slider.disabled = ready.length < 2;
        sizeLabel.textContent = shown === null ? "" : `${shown} dims (${ready.indexOf(shown) + 1} of ${ready.length} sizes)`;
        sizeLabel.dataset.dim = String(shown);
      },
      setPlaying(on) {
        play.textContent = on ? "\u275A\u275A Pause" : "\u25B6 Play";
        play.classList.toggle("on", on);
      },
      setLegend(head, entries, palette) {
        legend.replaceChildren();
        if (!entries?.length) return legend.style.display = "none";
        legend.style.display = "";
        element("div", "head", legend, head);
        for (const [name, code, count] of entries) {
          const row = element("div", "entry", legend);
          const swatch = element("span", "swatch", row);
          swatch.style.background = palette[code];
          row.appendChild(document.createTextNode(count ? `${name} (${count.toLocaleString()})` : name));
          row.title = name;
        }
      },
      setNote: (text) => {
        note.textContent = text;
        note.style.display = text ? "" : "none";
      },
      setSelected(count) {
        clear.style.display = count ? "" : "none";
        clear.textContent = `Clear selection (${count.toLocaleString()})`;
      },
      showTip(text, x, y) {
        const [head, ...rest] = text.split("\n");
        tip.replaceChildren();
        element("b", "", tip, head);
        tip.appendChild(document.createTextNode(rest.join("\n")));
        tip.style.display = "block";
        const { width, height: h } = ui.cssSize();
        tip.style.left = `${Math.min(x + 12, width - tip.offsetWidth - 4)}px`;
        tip.style.top = `${y + 14 + tip.offsetHeight > h ? y - tip.offsetHeight - 8 : y + 14}px`;
      },
      hideTip: () => {
        tip.style.display = "none";
      },
      wire(app) {
        play.addEventListener("click", () => app.play(app.playing === null));
        slider.addEventListener("input", () => {
          app.play(false);
          app.step(dims[Number(slider.value)]);
        });
        names.addEventListener("change", () => app.setNames(names.checked));
        reset.addEventListener("click", () => app.fitView());
        clear.addEventListener("click", () => app.clearSelection());
        const setMode = (m) => {
          mode = m;
          for (const [k, b] of Object.entries(modes)) b.classList.toggle("on", k === m);
          stage.className = `stage ${m}`;
        };
        for (const [k, b] of Object.entries(modes)) b.addEventListener("click", () => setMode(k));
        setMode("pan");
        const at = (e) => {
          const r = stage.getBoundingClientRect();
          return [e.clientX - r.left, e.clientY - r.top];
        };
        const pen = overlay.getContext("2d");
        let drag = null;
        stage.addEventListener("wheel", (e) => {
          e.preventDefault();
          const [x, y] = at(e);
          const { width, height: h } = ui.cssSize();
          app.view.zoomAt(x, y, Math.exp(-e.deltaY * 15e-4), width, h);
          app.moved();
        }, { passive: false });
        stage.addEventListener("dblclick", () => app.fitView());
        stage.addEventListener("pointerdown", (e) => {
          if (e.button !== 0) return;
          stage.setPointerCapture(e.pointerId);
          drag = { start: at(e), last: at(e), path: [at(e)] };
          ui.hideTip();
        });
        stage.addEventListener("pointermove", (e) => {
          const p = at(e);
          if (!drag) return app.hover(...p);
          if (mode === "pan") {
            app.view.panBy(p[0] - drag.last[0], p[1] - drag.last[1]);
            app.moved();
          } else {
            drag.path.push(p);
            pen.setTransform(ui.ratio, 0, 0, ui.ratio, 0, 0);
            pen.clearRect(0, 0, overlay.width, overlay.height);
            pen.strokeStyle = "#333";
            pen.setLineDash([4, 3]);
            pen.fillStyle = "rgba(60,90,200,0.08)";
            pen.beginPath();
            if (mode === "box") {
              const [x0, y0] = drag.start;
              pen.rect(x0, y0, p[0] - x0, p[1] - y0);
            } else {
              drag.path.forEach(([x, y], i) => i ? pen.lineTo(x, y) : pen.moveTo(x, y));
              pen.closePath();
            }
            pen.fill();
            pen.stroke();
          }
          drag.last = p;
        });
        stage.addEventListener("pointerup", (e) => {
          if (!drag) return;
          const p = at(e);
          pen.clearRect(0, 0, overlay.width, overlay.height);
          const moved = Math.hypot(p[0] - drag.start[0], p[1] - drag.start[1]) > 3;
          if (mode === "box" && moved) app.select({ box: [drag.start, p] });
          else if (mode === "lasso" && moved && drag.path.length > 2) app.select({ lasso: drag.path });
          drag = null;
        });
        stage.addEventListener("pointerleave", () => ui.hideTip());
      }
    };
    return ui;
  }

  // src/view.js
  var View = class {
    constructor() {
      this.cx = 0;
      this.cy = 0;
      this.ppu = 1;
      this.fitted = false;
    }
    fit(bounds, width, height, margin = 0.06) {
      const [x0, y0, x1, y1] = bounds;
      this.cx = (x0 + x1) / 2;
      this.cy = (y0 + y1) / 2;
      const w = Math.max(x1 - x0, 1e-9);
      const h = Math.max(y1 - y0, 1e-9);
      this.ppu = Math.min(width / w, height / h) * (1 - 2 * margin);
      this.fitted = true;
    }
    // uniforms: clip units per data unit (y up)
    uniforms(width, height) {
      return { centre: [this.cx, this.cy], scale: [2 * this.ppu / width, 2 * this.ppu / height] };
    }
    toScreen(x, y, width, height) {
      return [width / 2 + (x - this.cx) * this.ppu, height / 2 - (y - this.cy) * this.ppu];
    }
    toData(px, py, width, height) {
      return [this.cx + (px - width / 2) / this.ppu, this.cy - (py - height / 2) / this.ppu];
    }
    zoomAt(px, py, factor, width, height) {
      const [x, y] = this.toData(px, py, width, height);
      this.ppu *= factor;
      this.cx = x - (px - width / 2) / this.ppu;
      this.cy = y + (py - height / 2) / this.ppu;
    }
    panBy(dx, dy) {
      this.cx -= dx / this.ppu;
      this.cy += dy / this.ppu;
    }
  };

  // src/app.js
  var GLIDE_MS = 500;
  var HOLD_MS = 700;
  var HOVER_RADIUS = 8;
  var ease = (t) => t * t * (3 - 2 * t);
  function pointSize(n) {
    return n <= 2e3 ? 7 : n <= 2e4 ? 4 : n <= 2e5 ? 3 : 2;
  }
  var MapApp = class {
    constructor(root2, { height = 600, onSize = () => {
    }, onSelect = () => {
    } } = {}) {
      this.ui = buildUi(root2, height);
      this.renderer = new Renderer(this.ui.canvas);
      this.view = new View();
      this.sizes = /* @__PURE__ */ new Map();
      this.dims = [];
      this.texts = null;
      this.paint = { meta: { mode: "community" }, arrays: {} };
      this.columnColour = null;
      this.selection = null;
      this.shown = null;
      this.glide = null;
      this.names = true;
      this.onSize = onSize;
      this.onSelect = onSelect;
      this.debug = { frames: 0, glideFrames: 0, steps: [], glides: [], lastStepMs: null };
      this.pending = false;
      this.stepStart = null;
      this.playing = null;
      this.positions = null;
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
        dim: meta.dim,
        meta,
        xy: arrays.xy,
        codes: arrays.colour,
        frame: [meta.origin[0], meta.origin[1], meta.step],
        buffers: { xy: this.renderer.buffer(arrays.xy), colour: null }
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
      this.columnColour = pack.meta.mode === "column" ? this.renderer.buffer(colourBytes(pack.arrays.colour, pack.meta.palette)) : null;
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
    step(dim) {
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
        t,
        view,
        size * this.ui.ratio
      );
      this.debug.frames += 1;
      if (this.stepStart !== null) {
        this.renderer.finish();
        this.debug.lastStepMs = performance.now() - this.stepStart;
        this.debug.steps.push(this.debug.lastStepMs);
        this.stepStart = null;
      }
      const labelled = this.glide ? t < 0.5 ? from : to : to;
      this.drawOverlay(labelled, t);
      if (this.glide) this.request();
    }
    drawOverlay(size, t) {
      const { width, height } = this.ui.cssSize();
      const key = `${size.dim} ${this.paint.meta.mode} ${this.names} ${this.viewKey()}`;
      if (key !== this.overlayKey) {
        this.overlayKey = key;
        const column = this.paint.meta.mode === "column";
        const labels = !this.names ? [] : column ? this.paint.meta.labels?.[size.dim] ?? [] : size.meta.labels;
        placeLabels(this.ui.labels, labels, this.view, width, height);
        const meta = column ? this.paint.meta : size.meta;
        this.ui.setLegend(column ? meta.title : "community", meta.legend, meta.palette);
        const notes = [size.meta.note, this.paint.meta.note].filter(Boolean);
        this.ui.setNote(notes.join(" \xB7 "));
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
      this.onSelect(found.map((i) => rows ? rows[i] : i));
      this.ui.setSelected(found.length);
    }
    clearSelection() {
      this.selection = null;
      this.updateEmphasis();
      this.request();
      this.onSelect([]);
      this.ui.setSelected(0);
    }
  };

  // src/bridge.js
  var REPORT_DELAY_MS = 250;
  var send = (type, fields) => window.parent.postMessage({ isStreamlitMessage: true, type, ...fields }, "*");
  function startBridge(root2) {
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
    const held = { texts: null, paint: null, sizes: /* @__PURE__ */ new Map() };
    let serverSeq = -1;
    let queue = Promise.resolve();
    const make = (height) => {
      app = new MapApp(root2, {
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
        }
      });
      window.mgeMap = app;
      new ResizeObserver(
        () => send("streamlit:setFrameHeight", { height: document.documentElement.scrollHeight + 2 })
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
          if (held.texts !== null) app.clear();
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

  // src/standalone.js
  function bytesOf(base64) {
    const text = atob(base64.trim());
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  async function startStandalone(root2, elements) {
    if (!webgl2(document.createElement("canvas"))) {
      const note = document.createElement("p");
      note.textContent = "This map needs WebGL2, which this browser does not offer.";
      root2.appendChild(note);
      return;
    }
    const app = new MapApp(root2, { height: Math.max(420, window.innerHeight - 110) });
    window.mgeMap = app;
    const packs = [];
    for (const element2 of elements) packs.push(await unpack(bytesOf(element2.textContent)));
    for (const pack of packs) if (pack.meta.kind === "texts") app.setTexts(pack);
    for (const pack of packs) if (pack.meta.kind === "paint") app.setPaint(pack);
    const sizes = packs.filter((pack) => pack.meta.kind === "size");
    sizes.sort((a, b) => b.meta.dim - a.meta.dim);
    for (const pack of sizes) app.addSize(pack);
    app.ready = true;
  }

  // src/main.js
  var root = document.getElementById("root");
  var inline = document.querySelectorAll('script[type="application/x-mge-pack"]');
  if (inline.length) startStandalone(root, inline);
  else startBridge(root);
})();
