/**
 * A minimal PNG encoder (RGB, 8 bits per channel) without Node imports, so frames can be saved
 * from the browser or Node. The zlib stream uses stored deflate blocks: no compression, but no
 * dependency either, and every decoder accepts it.
 */
import { crc32 } from "../../util/crc32.js";
import type { RenderTarget } from "../kernel.js";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** The largest payload of one stored deflate block. */
const MAX_STORED_BLOCK = 0xffff;

function adler32(bytes: Uint8Array): number {
  let a = 1, b = 0;
  // Reducing every 5552 bytes (zlib's NMAX) keeps both sums small integers.
  for (let p = 0; p < bytes.length; ) {
    const end = Math.min(bytes.length, p + 5552);
    for (; p < end; p++) {
      a += bytes[p]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Filter-type-0 scanlines: each row is a zero byte followed by its RGB bytes. */
function scanlines(frame: RenderTarget): Uint8Array {
  const rowBytes = frame.width * 3;
  const raw = new Uint8Array(frame.height * (rowBytes + 1));
  for (let y = 0; y < frame.height; y++) {
    raw.set(frame.data.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  }
  return raw;
}

function zlibStored(raw: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(raw.length / MAX_STORED_BLOCK));
  const out = new Uint8Array(2 + blocks * 5 + raw.length + 4);
  const view = new DataView(out.buffer);
  // CMF 0x78 (deflate, 32K window), FLG 0x01: no dictionary, and (CMF * 256 + FLG) % 31 === 0.
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * MAX_STORED_BLOCK;
    const length = Math.min(MAX_STORED_BLOCK, raw.length - start);
    out[o] = b === blocks - 1 ? 1 : 0; // BFINAL, BTYPE = 00 (stored)
    view.setUint16(o + 1, length, true);
    view.setUint16(o + 3, ~length & 0xffff, true);
    out.set(raw.subarray(start, start + length), o + 5);
    o += 5 + length;
  }
  view.setUint32(o, adler32(raw));
  return out;
}

function chunk(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  for (let k = 0; k < 4; k++) out[4 + k] = type.charCodeAt(k);
  out.set(payload, 8);
  view.setUint32(8 + payload.length, crc32(out, 4, 8 + payload.length));
  return out;
}

export function encodePng(frame: RenderTarget): Uint8Array {
  if (frame.data.length !== frame.width * frame.height * 3) {
    throw new RangeError(`encodePng: expected ${frame.width}×${frame.height}×3 bytes, got ${frame.data.length}`);
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, frame.width);
  view.setUint32(4, frame.height);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: RGB
  // compression, filter and interlace methods stay 0
  const parts = [
    Uint8Array.from(SIGNATURE),
    chunk("IHDR", header),
    chunk("IDAT", zlibStored(scanlines(frame))),
    chunk("IEND", new Uint8Array(0)),
  ];
  const png = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let o = 0;
  for (const part of parts) {
    png.set(part, o);
    o += part.length;
  }
  return png;
}
