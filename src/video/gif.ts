/**
 * Animated GIFs of rendered episodes (`tsrl enjoy --gif`, the dashboard's replay download),
 * encoded by gifenc. Env frames are flat drawings with few colours, so each frame's palette is
 * its exact colours (no quantization loss); a frame with more than 256 colours is quantized.
 * Browser-safe: no Node imports.
 */
import gifenc, { type Encoder, type Palette } from "gifenc";

// gifenc is CommonJS in Node (its named exports are not detectable there): take them off the default export
const { GIFEncoder, applyPalette, quantize } = gifenc;

/** An RGB (3 bytes per pixel) or RGBA (4, e.g. a canvas's ImageData) frame, top row first. */
export interface GifFrame {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

export class GifRecorder {
  private readonly encoder: Encoder = GIFEncoder();
  private frames = 0;
  private size: { width: number; height: number } | null = null;
  private index = new Uint8Array(0);

  /** `fps`: playback speed (GIF delays are whole hundredths of a second). */
  constructor(readonly fps: number) {
    if (!(fps > 0 && fps <= 100)) throw new RangeError(`GIF frames per second must be in (0, 100], got ${fps}`);
  }

  get frameCount(): number {
    return this.frames;
  }

  add(frame: GifFrame): void {
    const { width, height, data } = frame;
    const channels = data.length / (width * height);
    if (channels !== 3 && channels !== 4) throw new RangeError(`a frame of ${width}×${height} needs ${width * height * 3} (RGB) or ${width * height * 4} (RGBA) bytes, got ${data.length}`);
    if (this.size && (this.size.width !== width || this.size.height !== height)) throw new RangeError(`frame ${this.frames + 1} is ${width}×${height}; the GIF's first frame was ${this.size.width}×${this.size.height}`);
    this.size ??= { width, height };
    if (this.index.length !== width * height) this.index = new Uint8Array(width * height);
    const palette = exactPalette(data, channels, this.index) ?? quantized(data, channels, this.index);
    this.encoder.writeFrame(this.index, width, height, { palette, delay: 1000 / this.fps, repeat: 0 });
    this.frames++;
  }

  /** The GIF file's bytes (the recorder cannot take frames after this). */
  finish(): Uint8Array {
    if (this.frames === 0) throw new Error("a GIF needs at least one frame");
    this.encoder.finish();
    return this.encoder.bytes();
  }
}

/** The frame's colours as a palette with each pixel's index written to `index`, or null past 256 colours. */
function exactPalette(data: ArrayLike<number>, channels: number, index: Uint8Array): Palette | null {
  const colors = new Map<number, number>();
  const palette: Palette = [];
  let lastColor = -1;
  let lastIndex = 0;
  for (let p = 0, o = 0; p < index.length; p++, o += channels) {
    const color = (data[o]! << 16) | (data[o + 1]! << 8) | data[o + 2]!;
    if (color !== lastColor) {
      let i = colors.get(color);
      if (i === undefined) {
        if (palette.length === 256) return null;
        i = palette.length;
        colors.set(color, i);
        palette.push([data[o]!, data[o + 1]!, data[o + 2]!]);
      }
      lastColor = color;
      lastIndex = i;
    }
    index[p] = lastIndex;
  }
  return palette; // gifenc pads colour tables to a power of two
}

function quantized(data: Uint8Array | Uint8ClampedArray, channels: number, index: Uint8Array): Palette {
  let rgba = data;
  if (channels === 3) {
    rgba = new Uint8Array(index.length * 4);
    for (let p = 0; p < index.length; p++) {
      rgba[p * 4] = data[p * 3]!;
      rgba[p * 4 + 1] = data[p * 3 + 1]!;
      rgba[p * 4 + 2] = data[p * 3 + 2]!;
      rgba[p * 4 + 3] = 255;
    }
  }
  const palette = quantize(rgba, 256);
  index.set(applyPalette(rgba, palette));
  return palette;
}
