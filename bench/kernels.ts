/**
 * The matrix-product kernels, JS reference against WASM SIMD, at the shapes of an RL MLP step
 * (batch 128): µs per call and GFLOP/s (2·m·k·n flops), plus the elementwise kernels at 128×64.
 *
 *   npm run bench:kernels [-- --seconds 0.3 --kernels linearForward,matmulNT --shapes 128x64x64 --no-elementwise]
 *
 * For reference, tfjs-wasm's SIMD matmul reaches 21–24 GFLOP/s on this machine kind.
 */
import { parseArgs } from "node:util";
import { createJsKernels } from "../src/nn/js-kernels.js";
import type { Kernels } from "../src/nn/kernels.js";
import { createWasmKernels } from "../src/nn/wasm-kernels.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "0.3" },
    kernels: { type: "string", default: "linearForward,matmulNT,matmulTN" },
    shapes: { type: "string", default: "4x4x64,128x4x64,128x64x64,128x64x2,128x64x1,128x4x120,128x120x84,128x84x2,1x4x120,512x64x64" },
    "no-elementwise": { type: "boolean", default: false },
  },
});
const seconds = Number(values.seconds);
const products = values.kernels!.split(",") as ("linearForward" | "matmulNT" | "matmulTN")[];
const shapes = values.shapes!.split(",").map((s) => s.split("x").map(Number) as [number, number, number]);

const PAGE_FLOATS = 16384;
const all: Kernels[] = [createJsKernels(new WebAssembly.Memory({ initial: 64 })), createWasmKernels(new WebAssembly.Memory({ initial: 64 }))];

/** Fills [0, floats) of each memory with the same values in [-1, 1). */
function fill(floats: number): void {
  for (const k of all) {
    const have = k.memory.buffer.byteLength / 4;
    if (floats > have) k.memory.grow(Math.ceil((floats - have) / PAGE_FLOATS));
    const v = new Float32Array(k.memory.buffer);
    let s = 12345;
    for (let i = 0; i < floats; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      v[i] = s / 2 ** 31 - 1;
    }
  }
}

/** µs per call of `run`: warm-up, then batches until `seconds` have passed. */
function time(run: () => void): number {
  let batch = 1;
  const warmEnd = performance.now() + Math.min(100, seconds * 300);
  // warm-up (lets V8 tier up to the optimizing compiler) and find a batch of ≥ ~2 ms
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) run();
    const dt = performance.now() - t0;
    if (dt < 2) batch *= 2;
    else if (performance.now() >= warmEnd) break;
  }
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < seconds * 1000) {
    for (let i = 0; i < batch; i++) run();
    calls += batch;
    now = performance.now();
  }
  return ((now - start) * 1000) / calls;
}

const col = (s: string, w: number) => s.padStart(w);
console.log(`kernels: µs per call and GFLOP/s (node ${process.version}, ${seconds} s per cell)`);
console.log(
  "kernel".padEnd(14) + "m×k×n".padEnd(12) + col("js µs", 10) + col("js GF/s", 9) + col("wasm µs", 10) + col("wasm GF/s", 11) + col("wasm/js", 9),
);
for (const kernel of products) {
  for (const [m, k, n] of shapes) {
    // A, B, bias, C in a row; A as m×k (or k×m), B as k×n (or n×k)
    const a = 16;
    const b = a + m * k + 16;
    const bias = b + k * n + 16;
    const c = bias + n + 16;
    fill(c + m * n + 16);
    const us = all.map((kern) => {
      const run =
        kernel === "linearForward"
          ? () => kern.linearForward(m, k, n, a, b, bias, c)
          : kernel === "matmulNT"
            ? () => kern.matmulNT(m, k, n, a, b, c, false)
            : () => kern.matmulTN(m, k, n, a, b, c, false);
      return time(run);
    });
    const gf = us.map((t) => (2 * m * k * n) / (t * 1e3));
    console.log(
      kernel.padEnd(14) +
        `${m}×${k}×${n}`.padEnd(12) +
        col(us[0].toFixed(2), 10) +
        col(gf[0].toFixed(2), 9) +
        col(us[1].toFixed(2), 10) +
        col(gf[1].toFixed(2), 11) +
        col(`${(us[0] / us[1]).toFixed(1)}×`, 9),
    );
  }
}

if (!values["no-elementwise"]) {
  const len = 128 * 64;
  fill(6 * len + 64);
  const [x, y, z, w, u] = [16, 16 + len, 16 + 2 * len, 16 + 3 * len, 16 + 4 * len];
  const cases: [string, (k: Kernels) => void][] = [
    ["columnSums", (k) => k.columnSums(128, 64, x, y, false)],
    ["tanhForward", (k) => k.tanhForward(len, x, y)],
    ["tanhBackward", (k) => k.tanhBackward(len, x, y, z)],
    ["reluForward", (k) => k.reluForward(len, x, y)],
    ["reluBackward", (k) => k.reluBackward(len, x, y, z)],
    ["sumOfSquares", (k) => void k.sumOfSquares(len, x)],
    ["scale", (k) => k.scale(len, x, 1)],
    ["adamStep", (k) => k.adamStep(len, x, y, z, u, 0, 0.9, 0.999, 1e-8, 10)],
    ["rmspropStep", (k) => k.rmspropStep(len, x, y, w, u, 0, 0.99, 1e-8)],
  ];
  console.log();
  console.log("elementwise".padEnd(14) + "length".padEnd(12) + col("js µs", 10) + col("wasm µs", 10) + col("wasm/js", 9));
  for (const [name, run] of cases) {
    // tanhBackward wants y in (-1, 1) and Adam/RMSprop non-negative second moments: refill per case
    fill(6 * len + 64);
    for (const k of all) {
      const v = new Float32Array(k.memory.buffer);
      for (let i = 0; i < len; i++) {
        v[u + i] = Math.abs(v[u + i]);
        v[w + i] = Math.abs(v[w + i]);
      }
    }
    const us = all.map((k) => time(() => run(k)));
    console.log(name.padEnd(14) + `${len}`.padEnd(12) + col(us[0].toFixed(2), 10) + col(us[1].toFixed(2), 10) + col(`${(us[0] / us[1]).toFixed(1)}×`, 9));
  }
}
