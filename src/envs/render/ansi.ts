/**
 * Frames as terminal text. In colour, each character is an upper half block '▀' whose
 * foreground is the top pixel and background the bottom one (24-bit ANSI), so a text row holds
 * two pixel rows and, with cells about twice as tall as wide, pixels stay square.
 */
import type { RenderTarget } from "../kernel.js";

export interface AnsiOptions {
  /** text columns; default 80 */
  columns?: number;
  /** 24-bit colour half blocks (default), or plain characters by luminance */
  color?: boolean;
}

/** From light to dark, so a white background prints as blanks. */
const LUMINANCE_RAMP = " .:-=+*#%@";
const RESET = "\x1b[0m";

export function frameToAnsi(frame: RenderTarget, opts: AnsiOptions = {}): string {
  const columns = opts.columns ?? 80;
  if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`frameToAnsi: columns must be a positive integer, got ${columns}`);
  const lines = Math.max(1, Math.round((frame.height * columns) / frame.width / 2));
  const cells = downsample(frame, columns, 2 * lines);
  return opts.color === false ? monochrome(cells, columns, lines) : halfBlocks(cells, columns, lines);
}

/** Box-averages the frame to `columns × rows` RGB cells. */
function downsample(frame: RenderTarget, columns: number, rows: number): Uint8Array {
  const { width, height, data } = frame;
  const out = new Uint8Array(columns * rows * 3);
  for (let row = 0; row < rows; row++) {
    const y0 = Math.floor((row * height) / rows);
    const y1 = Math.max(y0 + 1, Math.floor(((row + 1) * height) / rows));
    for (let col = 0; col < columns; col++) {
      const x0 = Math.floor((col * width) / columns);
      const x1 = Math.max(x0 + 1, Math.floor(((col + 1) * width) / columns));
      let r = 0, g = 0, b = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = (y * width + x) * 3;
          r += data[p]!;
          g += data[p + 1]!;
          b += data[p + 2]!;
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      const o = (row * columns + col) * 3;
      out[o] = Math.round(r / count);
      out[o + 1] = Math.round(g / count);
      out[o + 2] = Math.round(b / count);
    }
  }
  return out;
}

function halfBlocks(cells: Uint8Array, columns: number, lines: number): string {
  const text: string[] = [];
  for (let line = 0; line < lines; line++) {
    let out = "";
    let previous = "";
    for (let col = 0; col < columns; col++) {
      const top = (2 * line * columns + col) * 3;
      const bottom = top + columns * 3;
      const codes =
        `\x1b[38;2;${cells[top]};${cells[top + 1]};${cells[top + 2]}m` +
        `\x1b[48;2;${cells[bottom]};${cells[bottom + 1]};${cells[bottom + 2]}m`;
      // Runs of one colour pair need their escape codes once.
      if (codes !== previous) out += codes;
      previous = codes;
      out += "▀";
    }
    text.push(out + RESET);
  }
  return text.join("\n");
}

function monochrome(cells: Uint8Array, columns: number, lines: number): string {
  const text: string[] = [];
  for (let line = 0; line < lines; line++) {
    let out = "";
    for (let col = 0; col < columns; col++) {
      const top = (2 * line * columns + col) * 3;
      const bottom = top + columns * 3;
      const luminance = (luma(cells, top) + luma(cells, bottom)) / 2 / 255;
      out += LUMINANCE_RAMP[Math.round((1 - luminance) * (LUMINANCE_RAMP.length - 1))];
    }
    text.push(out);
  }
  return text.join("\n");
}

/** Rec. 709 luma of the RGB cell at `o`. */
function luma(cells: Uint8Array, o: number): number {
  return 0.2126 * cells[o]! + 0.7152 * cells[o + 1]! + 0.0722 * cells[o + 2]!;
}
