/**
 * MinAtar's pictures: each cell takes the colour of its highest set channel, channel c in the
 * (c + 1)-th colour of seaborn's `color_palette("cubehelix", C)` with black for empty cells —
 * the palette of MinAtar's `display_state` and its gym `rgb_array` mode — drawn as square blocks.
 */
import type { RenderTarget } from "../kernel.js";
import { GRID } from "./games/game.js";

/** Pixels per grid cell in rendered frames. */
export const CELL_PIXELS = 16;
export const FRAME_SIZE = GRID * CELL_PIXELS;

/** matplotlib's "cubehelix" colormap functions (gamma 1, s 0.5, r -1.5, h 1) at x in [0, 1]. */
function cubehelix(x: number): [number, number, number] {
  const a = (x * (1 - x)) / 2;
  const phi = 2 * Math.PI * (0.5 / 3 - 1.5 * x);
  const c = Math.cos(phi), s = Math.sin(phi);
  const clip = (v: number) => Math.min(1, Math.max(0, v));
  return [clip(x + a * (-0.14861 * c + 1.78277 * s)), clip(x + a * (-0.29227 * c - 0.90649 * s)), clip(x + a * (1.97294 * c))];
}

/**
 * The RGB bytes (round(255·v)) of black followed by `channels` colours, as seaborn samples the
 * 256-entry colormap: colour k at lut[floor(256·(k + 1) / (channels + 1))], lut[i] = f(i / 255).
 */
export function minatarPalette(channels: number): Uint8Array {
  const out = new Uint8Array((channels + 1) * 3);
  for (let k = 0; k < channels; k++) {
    const bin = (k + 1) / (channels + 1);
    const index = Math.min(255, Math.floor(bin * 256));
    const rgb = cubehelix(index / 255);
    for (let j = 0; j < 3; j++) out[(k + 1) * 3 + j] = Math.round(rgb[j]! * 255);
  }
  return out;
}

const palettes = new Map<number, Uint8Array>();

/** Draws a 10 × 10 × C state (HWC 0/1 bytes) into a frame of FRAME_SIZE × FRAME_SIZE pixels. */
export function renderMinatarState(state: Uint8Array, channels: number, target: RenderTarget): void {
  if (target.width !== FRAME_SIZE || target.height !== FRAME_SIZE || target.data.length !== FRAME_SIZE * FRAME_SIZE * 3) {
    throw new RangeError(`MinAtar frames are ${FRAME_SIZE}×${FRAME_SIZE} RGB, got ${target.width}×${target.height}`);
  }
  let palette = palettes.get(channels);
  if (!palette) palettes.set(channels, (palette = minatarPalette(channels)));
  const { data } = target;
  for (let y = 0; y < GRID; y++) {
    for (let x = 0; x < GRID; x++) {
      let colour = 0;
      for (let c = channels - 1; c >= 0; c--) {
        if (state[(y * GRID + x) * channels + c]) {
          colour = c + 1;
          break;
        }
      }
      const r = palette[colour * 3]!, g = palette[colour * 3 + 1]!, b = palette[colour * 3 + 2]!;
      for (let py = y * CELL_PIXELS; py < (y + 1) * CELL_PIXELS; py++) {
        for (let p = (py * FRAME_SIZE + x * CELL_PIXELS) * 3, end = p + CELL_PIXELS * 3; p < end; p += 3) {
          data[p] = r;
          data[p + 1] = g;
          data[p + 2] = b;
        }
      }
    }
  }
}
