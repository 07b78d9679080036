// Names on the map: each size's candidates (core/viz/map_labels.py, largest groups first,
// the coarse level first) placed for the current view, a name dropped when its box would
// overlap one already placed. Set as text, never as HTML.

const CHAR_WIDTH = 0.6;
const LINE_HEIGHT = 1.3;
const PADDING = 2;

export function placeLabels(layer, candidates, view, width, height) {
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
