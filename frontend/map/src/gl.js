// Draws the points with WebGL2: per size a buffer of uint16 positions and one of RGBA colours,
// uploaded once; a frame binds two sizes' buffers and the vertex shader places each point
// between them (t from 0 to 1), so a glide costs no uploads, only draws.

const VERTEX = `#version 300 es
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

const FRAGMENT = `#version 300 es
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

export function webgl2(canvas) {
  return canvas.getContext("webgl2", { antialias: false, premultipliedAlpha: true,
                                       preserveDrawingBuffer: true });
}

export function hexRGB(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

// RGBA bytes per point from a code per point into a palette of hex colours.
export function colourBytes(codes, palette) {
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

export class Renderer {
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
  draw(from, to, t, view, pointSize) {
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
    gl.uniform1f(this.uni.pointSize, pointSize);
    gl.uniform1f(this.uni.round, pointSize >= 4 ? 1 : 0);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.drawArrays(gl.POINTS, 0, this.count);
  }

  // Waits for the frame to be drawn (reading one pixel), so a measured step includes drawing.
  finish() {
    const pixel = new Uint8Array(4);
    this.gl.readPixels(0, 0, 1, 1, this.gl.RGBA, this.gl.UNSIGNED_BYTE, pixel);
  }
}
