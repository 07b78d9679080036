// The map's controls and layers, built with DOM calls (every text set as text): a bar with
// play, the size slider, the pointer mode and names toggle; the canvas; the names layer; a
// lasso overlay; the hover tip; legend and note.

const CSS = `
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
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

export function buildUi(root, height) {
  const style = document.createElement("style");
  style.textContent = CSS;
  document.head.appendChild(style);
  const box = element("div", "mge", root);
  const title = element("div", "title", box);
  const bar = element("div", "bar", box);
  const play = element("button", "play", bar, "▶ Play");
  play.title = "Play the ladder: every size in turn, largest first";
  const slider = element("input", "", bar);
  slider.type = "range";
  slider.min = "0";
  slider.step = "1";
  slider.setAttribute("aria-label", "Embedding dimension on the map");
  const sizeLabel = element("span", "size", bar);
  const modes = {};
  for (const [mode, text] of [["pan", "Pan"], ["box", "Box select"], ["lasso", "Lasso"]])
    modes[mode] = element("button", "mode", bar, text);
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
    canvas, stage, labels, names, slider, ratio: Math.min(2, window.devicePixelRatio || 1),
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
    setTitle: (text) => { title.textContent = text; },
    setDims(ready, shown) {
      dims = ready;
      slider.max = String(Math.max(0, ready.length - 1));
      slider.value = String(Math.max(0, ready.indexOf(shown)));
      slider.disabled = ready.length < 2;
      sizeLabel.textContent = shown === null ? "" : `${shown} dims (${ready.indexOf(shown) + 1} of ${ready.length} sizes)`;
      sizeLabel.dataset.dim = String(shown);
    },
    setPlaying(on) {
      play.textContent = on ? "❚❚ Pause" : "▶ Play";
      play.classList.toggle("on", on);
    },
    setLegend(head, entries, palette) {
      legend.replaceChildren();
      if (!entries?.length) return (legend.style.display = "none");
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
    setNote: (text) => { note.textContent = text; note.style.display = text ? "" : "none"; },
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
    hideTip: () => { tip.style.display = "none"; },
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
        app.view.zoomAt(x, y, Math.exp(-e.deltaY * 0.0015), width, h);
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
            drag.path.forEach(([x, y], i) => (i ? pen.lineTo(x, y) : pen.moveTo(x, y)));
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
    },
  };
  return ui;
}
