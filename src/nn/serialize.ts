/**
 * The tsrl tensor file: named float32 tensors plus a JSON metadata object, checksummed.
 * Used for saved policies and (with optimizer moments) for checkpoints. Browser-safe: bytes in, bytes out.
 *
 * Format version 1, little-endian:
 *   bytes 0–7    magic "TSRLTNSR"
 *   bytes 8–11   u32 format version (1)
 *   bytes 12–15  u32 header length H
 *   bytes 16–19  u32 CRC-32 (IEEE) of every byte after this field
 *   bytes 20…    H bytes of UTF-8 JSON: {"meta": {...}, "tensors": [{"name", "shape", "offset", "length"}]}
 *   then zero padding to a multiple of 4, then the float32 data; a tensor's `offset` is its first
 *   float's index in the data and `length` its float count (the product of its shape).
 */
import { crc32 } from "../util/crc32.js";
import type { NamedTensor } from "./network.js";

const MAGIC = "TSRLTNSR";
export const TENSOR_FORMAT_VERSION = 1;
const PREFIX = 20;

export class TensorFileError extends Error {
  override name = "TensorFileError";
}

export interface TensorFile {
  meta: Record<string, unknown>;
  tensors: Map<string, NamedTensor>;
}

export function encodeTensorFile(meta: Record<string, unknown>, tensors: readonly NamedTensor[]): Uint8Array {
  const seen = new Set<string>();
  let offset = 0;
  const entries = tensors.map((t) => {
    if (seen.has(t.name)) throw new Error(`duplicate tensor name ${t.name}`);
    seen.add(t.name);
    const length = t.shape.reduce((a, b) => a * b, 1);
    if (length !== t.data.length) throw new Error(`tensor ${t.name}: shape [${t.shape.join(", ")}] does not hold ${t.data.length} values`);
    const entry = { name: t.name, shape: t.shape, offset, length };
    offset += length;
    return entry;
  });
  const header = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }));
  const dataStart = align4(PREFIX + header.length);
  const bytes = new Uint8Array(dataStart + offset * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < MAGIC.length; i++) bytes[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, TENSOR_FORMAT_VERSION, true);
  view.setUint32(12, header.length, true);
  bytes.set(header, PREFIX);
  tensors.forEach((t, k) => {
    const base = dataStart + entries[k]!.offset * 4;
    for (let i = 0; i < t.data.length; i++) view.setFloat32(base + i * 4, t.data[i]!, true);
  });
  view.setUint32(16, crc32(bytes, PREFIX), true);
  return bytes;
}

export function decodeTensorFile(bytes: Uint8Array, what = "tensor file"): TensorFile {
  const fail = (msg: string): never => {
    throw new TensorFileError(`${what}: ${msg}`);
  };
  if (bytes.length < PREFIX) fail(`too short (${bytes.length} bytes) to be a tsrl tensor file`);
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) fail("not a tsrl tensor file (bad magic bytes)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== TENSOR_FORMAT_VERSION) fail(`format version ${version} is not supported (this tsrl reads version ${TENSOR_FORMAT_VERSION})`);
  const headerLength = view.getUint32(12, true);
  if (PREFIX + headerLength > bytes.length) fail("truncated (header runs past the end)");
  if (crc32(bytes, PREFIX) !== view.getUint32(16, true)) fail("checksum mismatch: the file is corrupted or was cut short");
  let header: { meta?: unknown; tensors?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + headerLength)));
  } catch {
    return fail("header is not valid JSON");
  }
  if (typeof header.meta !== "object" || header.meta === null || !Array.isArray(header.tensors)) fail("header lacks meta or tensors");
  const dataStart = align4(PREFIX + headerLength);
  const floats = (bytes.length - dataStart) / 4;
  const tensors = new Map<string, NamedTensor>();
  for (const e of header.tensors as { name: string; shape: number[]; offset: number; length: number }[]) {
    if (typeof e.name !== "string" || !Array.isArray(e.shape) || e.shape.reduce((a, b) => a * b, 1) !== e.length || e.offset + e.length > floats) {
      fail(`tensor entry ${JSON.stringify(e)} is inconsistent`);
    }
    const data = new Float32Array(e.length);
    for (let i = 0; i < e.length; i++) data[i] = view.getFloat32(dataStart + (e.offset + i) * 4, true);
    tensors.set(e.name, { name: e.name, shape: e.shape, data });
  }
  return { meta: header.meta as Record<string, unknown>, tensors };
}

const align4 = (n: number) => (n + 3) & ~3;
