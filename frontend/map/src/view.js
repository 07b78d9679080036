// The user's view of the map: the data point at the canvas's middle and pixels per data unit,
// the same on both axes. Kept across sizes (they are in register), reset by a double-click.

export class View {
  constructor() {
    this.cx = 0;
    this.cy = 0;
    this.ppu = 1;       // pixels per data unit
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
    return { centre: [this.cx, this.cy], scale: [(2 * this.ppu) / width, (2 * this.ppu) / height] };
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
}
