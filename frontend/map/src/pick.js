// Finding points under the pointer and inside a box or lasso, from the positions shown (the
// quantised codes of the size on screen), on the CPU: one pass over the points.

const MISSING = 65535;

export function screenPositions(size, view, width, height) {
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

export function nearest(points, px, py, radius) {
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

export function insideBox(points, [ax, ay], [bx, by]) {
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

export function insideLasso(points, polygon) {
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
      if ((ya > y) !== (yb > y) && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
    }
    if (inside) found.push(i);
  }
  return found;
}
