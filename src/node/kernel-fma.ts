/**
 * The nn kernels' fused multiply-adds (the relaxed-SIMD builds, `setKernelFma` in
 * src/nn/wasm-kernels.ts) in Node: Node 20 runs relaxed SIMD only behind a V8 flag, which a
 * process can set for itself before it compiles any kernels; Node >= 22 runs it by default.
 */
import { setFlagsFromString } from "node:v8";
import { relaxedSimdAvailable, setKernelFma } from "../nn/wasm-kernels.js";

export const FMA_HELP =
  "fused multiply-add (relaxed SIMD) in the matrix products: ~1.25x faster; results differ in the last bits from the default kernels and between CPUs with and without FMA, so off by default (default: $TSRL_FMA or off)";

/**
 * Turns on WebAssembly relaxed SIMD in this process where it is behind a flag (Node 20); the flag
 * is process-wide, so worker threads started later have it too. Returns whether relaxed SIMD is
 * available now. The flag is only set when needed: later Nodes may not know it.
 */
export function enableRelaxedSimd(): boolean {
  if (!relaxedSimdAvailable()) setFlagsFromString("--experimental-wasm-relaxed-simd");
  return relaxedSimdAvailable();
}

/**
 * Makes WASM backends and transformer spaces created from now on use the kernels with fused
 * multiply-adds (`on`), or the default ones; call it before creating networks.
 */
export function useKernelFma(on: boolean): void {
  if (on) enableRelaxedSimd();
  setKernelFma(on);
}

/**
 * Whether FMA kernels are asked for: the `--fma` / `--no-fma` flag when given, else `TSRL_FMA`
 * (1/true or 0/false), else off; any other value of TSRL_FMA is an error.
 */
export function fmaSetting(flag: unknown, env: NodeJS.ProcessEnv = process.env): boolean {
  if (typeof flag === "boolean") return flag;
  const raw = env.TSRL_FMA;
  if (raw === undefined || raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new RangeError(`TSRL_FMA must be 1 or 0 (fused multiply-add kernels on or off), got "${raw}"`);
}
