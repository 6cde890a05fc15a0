/**
 * Rendering: the rasterizer's coverage, the classic-control drawings at Gymnasium's geometry
 * (pixel rows counted from the top, Gymnasium's y-up coordinates flipped), terminal text and
 * PNG output checked by node:zlib.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inflateSync } from "node:zlib";
import { make } from "../src/index.js";
import type { RenderTarget } from "../src/envs/kernel.js";
import { frameToAnsi } from "../src/envs/render/ansi.js";
import { drawAcrobot, drawCartPole, drawMountainCar, drawPendulum } from "../src/envs/render/classic.js";
import { encodePng } from "../src/envs/render/png.js";
import { fill, fillCircle, fillPolygon } from "../src/envs/render/raster.js";

const POLE: Rgb = [202, 152, 101];
const AXLE: Rgb = [129, 132, 203];
const ROD: Rgb = [204, 77, 77];
const LINK: Rgb = [0, 204, 204];
const JOINT: Rgb = [204, 204, 0];
const FLAG: Rgb = [204, 204, 0];
const WHEEL: Rgb = [128, 128, 128];
const BLACK: Rgb = [0, 0, 0];
const WHITE: Rgb = [255, 255, 255];
type Rgb = [number, number, number];

function blank(width: number, height: number): RenderTarget {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

function pixel(frame: RenderTarget, x: number, y: number): Rgb {
  const p = (y * frame.width + x) * 3;
  return [frame.data[p]!, frame.data[p + 1]!, frame.data[p + 2]!];
}

/** Mean column of the dark pixels in rows [rowStart, rowEnd). */
function darkCentroidX(frame: RenderTarget, rowStart = 0, rowEnd = frame.height): number {
  let sum = 0, count = 0;
  for (let y = rowStart; y < rowEnd; y++) {
    for (let x = 0; x < frame.width; x++) {
      const [r, g, b] = pixel(frame, x, y);
      if (r + g + b < 3 * 64) {
        sum += x;
        count++;
      }
    }
  }
  assert.ok(count > 0, "no dark pixels");
  return sum / count;
}

function countColor(frame: RenderTarget, color: Rgb): number {
  let count = 0;
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) {
      const [r, g, b] = pixel(frame, x, y);
      if (r === color[0] && g === color[1] && b === color[2]) count++;
    }
  }
  return count;
}

/** How far the frame is from white, in pixels' worth of black (partial coverage counts partly). */
function inkOnWhite(frame: RenderTarget): number {
  let ink = 0;
  for (const value of frame.data) ink += 255 - value;
  return ink / (3 * 255);
}

function assertCorners(frame: RenderTarget, color: Rgb): void {
  for (const [x, y] of [[0, 0], [frame.width - 1, 0], [0, frame.height - 1], [frame.width - 1, frame.height - 1]] as const) {
    assert.deepEqual(pixel(frame, x, y), color, `pixel (${x}, ${y})`);
  }
}

describe("raster", () => {
  it("fills an axis-aligned rectangle exactly, with partial coverage at fractional edges", () => {
    const frame = blank(10, 10);
    fill(frame, WHITE);
    // Pixel centres are on integers: x from 1.5 to 4.5 covers pixels 2..4 fully.
    fillPolygon(frame, [1.5, 1.5, 4.5, 1.5, 4.5, 3.5, 1.5, 3.5], BLACK);
    assert.equal(countColor(frame, BLACK), 6);
    assert.equal(inkOnWhite(frame), 6);
    fill(frame, WHITE);
    fillPolygon(frame, [2, 2, 4, 2, 4, 4, 2, 4], BLACK);
    // The centre pixel is covered fully, its 4 edge neighbours half and the 4 corners a quarter.
    assert.equal(countColor(frame, BLACK), 1);
    assert.ok(Math.abs(inkOnWhite(frame) - 4) < 0.01, `ink ${inkOnWhite(frame)}`);
  });

  it("uses the even-odd rule: a doubly wound outline leaves its inner square empty", () => {
    const frame = blank(20, 20);
    fill(frame, WHITE);
    fillPolygon(frame, [1.5, 1.5, 17.5, 1.5, 17.5, 17.5, 1.5, 17.5, 1.5, 1.5, 5.5, 5.5, 13.5, 5.5, 13.5, 13.5, 5.5, 13.5, 5.5, 5.5], BLACK);
    assert.deepEqual(pixel(frame, 9, 9), WHITE);
    assert.deepEqual(pixel(frame, 3, 9), BLACK);
    assert.equal(countColor(frame, BLACK), 16 * 16 - 8 * 8);
  });

  it("fills a concave polygon without its notch", () => {
    const frame = blank(20, 20);
    fill(frame, WHITE);
    // A "U": the notch between x = 6.5 and 12.5 above y = 10.5 stays empty.
    fillPolygon(frame, [2.5, 2.5, 6.5, 2.5, 6.5, 10.5, 12.5, 10.5, 12.5, 2.5, 16.5, 2.5, 16.5, 16.5, 2.5, 16.5], BLACK);
    assert.deepEqual(pixel(frame, 9, 5), WHITE);
    assert.deepEqual(pixel(frame, 4, 5), BLACK);
    assert.deepEqual(pixel(frame, 9, 14), BLACK);
  });

  it("covers a circle's area", () => {
    const frame = blank(64, 64);
    fill(frame, WHITE);
    fillCircle(frame, 32, 32, 20, BLACK);
    assert.ok(Math.abs(inkOnWhite(frame) - Math.PI * 400) < 0.01 * Math.PI * 400);
    assert.deepEqual(pixel(frame, 32, 32), BLACK);
    assert.deepEqual(pixel(frame, 32, 10), WHITE);
  });

  it("clips shapes that leave the frame", () => {
    const frame = blank(8, 8);
    fill(frame, WHITE);
    fillPolygon(frame, [-20, -20, 30, -20, 30, 30, -20, 30], BLACK);
    assert.equal(countColor(frame, BLACK), 64);
  });
});

describe("classic-control drawings", () => {
  it("cartpole: 600×400 on white, cart centred on the track, pole up and axle at theta = 0", () => {
    const frame = blank(600, 400);
    drawCartPole(frame, 0, 0);
    assertCorners(frame, WHITE);
    // Gymnasium y-up: cart centre y = 100 → row 299; axle y = 107.5 → row 291.5; the pole
    // (125 px = scale × 2 × 0.5, from 5 px below the axle) ends at y = 227.5 → row 171.5.
    assert.deepEqual(pixel(frame, 300, 305), BLACK);
    assert.deepEqual(pixel(frame, 300, 291), AXLE);
    assert.deepEqual(pixel(frame, 300, 175), POLE);
    assert.deepEqual(pixel(frame, 300, 168), WHITE);
    assert.deepEqual(pixel(frame, 310, 175), WHITE);
    // The track runs the full width at the cart's height.
    assert.ok(pixel(frame, 5, 299)[0] < 128);
  });

  it("cartpole: the cart follows x and the pole leans with theta", () => {
    const left = blank(600, 400), right = blank(600, 400);
    drawCartPole(left, -1, 0);
    drawCartPole(right, 1, 0);
    // scale = 600 / 4.8 = 125 pixels per unit; rows 305..314 hold the cart's lower half and no track
    assert.ok(Math.abs(darkCentroidX(left, 305, 315) - 175) < 1, `left centroid ${darkCentroidX(left, 305, 315)}`);
    assert.ok(Math.abs(darkCentroidX(right, 305, 315) - 425) < 1, `right centroid ${darkCentroidX(right, 305, 315)}`);
    const leaning = blank(600, 400);
    drawCartPole(leaning, 0, 0.2);
    // Positive theta tips the pole clockwise, to the right; 115 px up the pole from the axle:
    const topX = Math.round(300 + 115 * Math.sin(0.2)), topRow = Math.round(399 - (107.5 + 115 * Math.cos(0.2)));
    assert.deepEqual(pixel(leaning, topX, topRow), POLE);
    assert.deepEqual(pixel(leaning, 300, 200), WHITE);
  });

  it("mountain car: car on the hill, wheels and the flag at the goal", () => {
    const frame = blank(600, 400);
    drawMountainCar(frame, -0.5, 0.5);
    assertCorners(frame, WHITE);
    const scale = 600 / 1.8;
    const height = (x: number) => Math.sin(3 * x) * 0.45 + 0.55;
    const carX = (-0.5 + 1.2) * scale, carY = 10 + height(-0.5) * scale;
    const tilt = Math.cos(-1.5);
    // body centre: local (0, 10) rotated by the tilt
    assert.deepEqual(pixel(frame, Math.round(carX - 10 * Math.sin(tilt)), Math.round(399 - (carY + 10 * Math.cos(tilt)))), BLACK);
    assert.deepEqual(pixel(frame, Math.round(carX + 10 * Math.cos(tilt)), Math.round(399 - (carY + 10 * Math.sin(tilt)))), WHEEL);
    // flag: a triangle hanging from 50 px above the hill at the goal
    const flagX = (0.5 + 1.2) * scale, flagTop = height(0.5) * scale + 50;
    assert.deepEqual(pixel(frame, Math.round(flagX + 8), Math.round(399 - (flagTop - 5))), FLAG);
    assert.ok(pixel(frame, Math.round(flagX), Math.round(399 - (flagTop - 25)))[0] < 128, "flag pole");
    // the hill passes through its lowest point, height 0.1 at x = -π/6
    assert.ok(pixel(frame, Math.round((-Math.PI / 6 + 1.2) * scale), Math.round(399 - 0.1 * scale))[0] < 128, "hill");
  });

  it("mountain car: the car moves with the position", () => {
    const left = blank(600, 400), right = blank(600, 400);
    drawMountainCar(left, -1.0, 0.5);
    drawMountainCar(right, 0.0, 0.5);
    // The hill and flag are the same in both frames, so the shift comes from the car alone.
    assert.ok(darkCentroidX(right) - darkCentroidX(left) > 100, `${darkCentroidX(left)} → ${darkCentroidX(right)}`);
  });

  it("pendulum: 500×500, the rod points up at theta = 0 and left at theta = π/2, axle black", () => {
    const up = blank(500, 500);
    drawPendulum(up, 0, null);
    assertCorners(up, WHITE);
    // centre (250, 250) y-up → row 249; the rod is 113.6 px long and 22.7 px wide
    assert.deepEqual(pixel(up, 250, 249), BLACK);
    assert.deepEqual(pixel(up, 250, 192), ROD);
    assert.deepEqual(pixel(up, 250, 306), WHITE);
    const left = blank(500, 500);
    drawPendulum(left, Math.PI / 2, null);
    assert.deepEqual(pixel(left, 193, 249), ROD);
    assert.deepEqual(pixel(left, 250, 192), WHITE);
  });

  it("pendulum: the torque arrow grows with |torque| and turns with its sign", () => {
    const none = blank(500, 500), small = blank(500, 500), large = blank(500, 500), negative = blank(500, 500);
    drawPendulum(none, 0, null);
    drawPendulum(small, 0, 0.5);
    drawPendulum(large, 0, 2);
    drawPendulum(negative, 0, -2);
    assert.ok(inkOnWhite(none) < inkOnWhite(small) && inkOnWhite(small) < inkOnWhite(large));
    // The arc passes below the centre at radius 0.45 × scale × |u| / 2 ≈ 51 px for |u| = 2.
    assert.ok(pixel(large, 250, 300)[0] < 64);
    assert.deepEqual(pixel(none, 250, 300), WHITE);
    // Negative torque draws Gymnasium's clockwise image: the arc leaves its upper-left quarter open
    // and ends on the left in an arrowhead; positive torque mirrors it.
    const arrowheadBase = 248, upperQuarter = 213;
    assert.ok(pixel(negative, 192, arrowheadBase)[0] < 64);
    assert.deepEqual(pixel(negative, 308, arrowheadBase), WHITE);
    assert.deepEqual(pixel(negative, 214, upperQuarter), WHITE);
    assert.ok(pixel(negative, 286, upperQuarter)[0] < 64);
    assert.ok(pixel(large, 308, arrowheadBase)[0] < 64);
    assert.deepEqual(pixel(large, 192, arrowheadBase), WHITE);
    assert.deepEqual(pixel(large, 286, upperQuarter), WHITE);
    assert.ok(pixel(large, 214, upperQuarter)[0] < 64);
  });

  it("acrobot: 500×500, links hang down at rest, joints at the pivot and elbow, target line above", () => {
    const frame = blank(500, 500);
    drawAcrobot(frame, 0, 0);
    assertCorners(frame, WHITE);
    // scale = 500 / 4.4: pivot at y-up 250 (row 249), elbow 113.6 px lower, the target line at y-up 363.6
    assert.deepEqual(pixel(frame, 250, 249), JOINT);
    assert.deepEqual(pixel(frame, 250, 363), JOINT);
    assert.deepEqual(pixel(frame, 250, 306), LINK);
    assert.deepEqual(pixel(frame, 250, 420), LINK);
    assert.deepEqual(pixel(frame, 250, 490), WHITE);
    assert.ok(Math.min(...[134, 135, 136].map((row) => pixel(frame, 10, row)[0])) < 128, "target line");
    const raised = blank(500, 500);
    drawAcrobot(raised, Math.PI / 2, 0);
    assert.deepEqual(pixel(raised, 306, 249), LINK);
    assert.deepEqual(pixel(raised, 364, 249), JOINT);
    assert.deepEqual(pixel(raised, 250, 306), WHITE);
  });

  it("env.render() returns full frames for every classic env", () => {
    const sizes: Record<string, [number, number]> = {
      "CartPole-v1": [600, 400],
      "MountainCar-v0": [600, 400],
      "MountainCarContinuous-v0": [600, 400],
      "Pendulum-v1": [500, 500],
      "Acrobot-v1": [500, 500],
    };
    for (const [id, [width, height]] of Object.entries(sizes)) {
      const env = make(id);
      env.reset({ seed: 0 });
      const frame = env.render()!;
      assert.equal(frame.width, width, id);
      assert.equal(frame.height, height, id);
      assert.equal(frame.data.length, width * height * 3, id);
      assertCorners(frame, WHITE);
      assert.ok(inkOnWhite(frame) > 500, `${id} draws something`);
    }
  });
});

const ESCAPES = /\x1b\[[0-9;]*m/g;

describe("frameToAnsi", () => {
  it("prints two pixel rows per line in 24-bit colour at the requested width", () => {
    const frame = blank(600, 400);
    drawCartPole(frame, 0, 0);
    for (const [columns, lines] of [[80, 27], [40, 13], [1, 1]] as const) {
      const text = frameToAnsi(frame, { columns });
      const rows = text.split("\n");
      assert.equal(rows.length, lines, `${columns} columns`);
      for (const row of rows) {
        assert.equal(row.replace(ESCAPES, ""), "▀".repeat(columns));
        assert.ok(row.endsWith("\x1b[0m"));
      }
    }
    const text = frameToAnsi(frame);
    assert.equal(text.split("\n").length, 27);
    assert.ok(text.includes("\x1b[38;2;255;255;255m"));
    assert.ok(text.includes("\x1b[48;2;0;0;0m") || text.includes("\x1b[38;2;0;0;0m"), "the cart's black");
  });

  it("falls back to luminance characters without colour", () => {
    const white = blank(100, 100);
    fill(white, WHITE);
    assert.equal(frameToAnsi(white, { columns: 10, color: false }), Array(5).fill(" ".repeat(10)).join("\n"));
    const black = blank(100, 100);
    assert.equal(frameToAnsi(black, { columns: 10, color: false }), Array(5).fill("@".repeat(10)).join("\n"));

    const frame = blank(600, 400);
    drawCartPole(frame, 0, 0);
    const rows = frameToAnsi(frame, { columns: 60, color: false }).split("\n");
    assert.equal(rows.length, 20);
    for (const row of rows) assert.equal(row.length, 60);
    assert.ok(!rows.join("").includes("\x1b"));
    // The cart is the darkest thing, in the middle of the lower half.
    const cartRow = rows.findIndex((row) => /[#%@]/.test(row));
    assert.ok(cartRow >= 10, `cart row ${cartRow}`);
    assert.ok(Math.abs(rows[cartRow]!.search(/[#%@]/) - 28) <= 3);
  });

  it("rejects a non-positive width", () => {
    assert.throws(() => frameToAnsi(blank(4, 4), { columns: 0 }), RangeError);
  });
});

describe("encodePng", () => {
  function chunks(png: Uint8Array): { type: string; data: Uint8Array; crc: number }[] {
    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    const out = [];
    for (let o = 8; o < png.length; ) {
      const length = view.getUint32(o);
      const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
      out.push({ type, data: png.subarray(o + 8, o + 8 + length), crc: view.getUint32(o + 8 + length) });
      o += 12 + length;
    }
    return out;
  }

  for (const [name, frame] of [
    ["a cartpole frame (many stored blocks)", (() => { const f = blank(600, 400); drawCartPole(f, 0.3, -0.1); return f; })()],
    ["a 1×1 frame", { width: 1, height: 1, data: Uint8Array.of(12, 34, 56) }],
    // (28 × 3 + 1) × 771 = 65535 bytes of scanlines: exactly one full stored block
    ["a frame of exactly one full stored block", (() => { const f = blank(28, 771); f.data.forEach((_, k) => (f.data[k] = k % 251)); return f; })()],
    // (1 × 3 + 1) × 16384 = 65536 bytes: a full block and a 1-byte final block
    ["a frame one byte over a full stored block", (() => { const f = blank(1, 16384); f.data.fill(7); return f; })()],
  ] as const) {
    it(`encodes ${name} as a PNG that zlib inflates to filter-0 scanlines`, () => {
      const png = encodePng(frame);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const parts = chunks(png);
      assert.deepEqual(parts.map((c) => c.type), ["IHDR", "IDAT", "IEND"]);
      const ihdr = new DataView(parts[0]!.data.buffer, parts[0]!.data.byteOffset, 13);
      assert.equal(ihdr.getUint32(0), frame.width);
      assert.equal(ihdr.getUint32(4), frame.height);
      assert.deepEqual([...parts[0]!.data.subarray(8)], [8, 2, 0, 0, 0]);
      // The IEND CRC is a fixed, well-known value; the others must match CRC-32 of type + data.
      assert.equal(parts[2]!.crc, 0xae426082);
      for (const part of parts) {
        const typed = new Uint8Array(4 + part.data.length);
        typed.set([...part.type].map((c) => c.charCodeAt(0)));
        typed.set(part.data, 4);
        assert.equal(part.crc, crc32(typed), `${part.type} CRC`);
      }
      // inflateSync verifies the zlib header and the Adler-32 trailer.
      const raw = inflateSync(parts[1]!.data);
      const rowBytes = frame.width * 3;
      assert.equal(raw.length, frame.height * (rowBytes + 1));
      for (let y = 0; y < frame.height; y++) {
        assert.equal(raw[y * (rowBytes + 1)], 0, `filter byte of row ${y}`);
        const row = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
        assert.ok(Buffer.from(frame.data.subarray(y * rowBytes, (y + 1) * rowBytes)).equals(row), `row ${y}`);
      }
    });
  }

  it("rejects data of the wrong size", () => {
    assert.throws(() => encodePng({ width: 2, height: 2, data: new Uint8Array(11) }), RangeError);
  });
});

/** Bitwise CRC-32 (IEEE), independent of the encoder's table. */
function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
