// Reads the data packs of core/viz/map_data.py: gzip, then "MGE1", a uint32 header length, a
// JSON header ({meta, arrays: {name: {dtype, length, offset}}}) and little-endian arrays, each
// viewed in place (they start at multiples of 8 bytes).

const TYPES = {
  u1: Uint8Array, u2: Uint16Array, u4: Uint32Array, i1: Int8Array, i2: Int16Array,
  i4: Int32Array, f4: Float32Array, f8: Float64Array,
};

export async function gunzip(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export function readPack(body) {
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

export async function unpack(bytes) {
  return readPack(await gunzip(bytes));
}

// Several packs sent together (pages/webgl_map.py's bundle): per pack a uint32 key length, the
// key (UTF-8), a uint32 pack length and the gzipped pack.
export function splitBundle(bytes) {
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

// The texts pack's hover text of drawn point i, decoded only when asked for.
export function hoverText(texts, i) {
  const { offsets, text } = texts.arrays;
  return new TextDecoder().decode(text.subarray(offsets[i], offsets[i + 1]));
}
