/**
 * `tsrl export`: one self-contained ES module per policy — the weights inlined (base64 float32),
 * the network's layers as plain loops, no imports — exposing `act(obs)` (greedy / mean action) and
 * `actBatch(obs, batch)`. It runs in any browser and in Node, and computes what `Policy.act` does
 * with the js kernels (same layer order, sums in float64, float32 activations); the WASM kernels
 * sum in another order, so their logits may differ in the last bits.
 * Written by hand: the runtime is ~60 lines, and a library (onnxruntime-web, tfjs) would add
 * megabytes and an async load to a policy of a few kilobytes.
 */
import type { LayerDescription } from "../nn/layers.js";
import { TensorFileError } from "../nn/serialize.js";
import { Policy, type SavedPolicy } from "../algos/policy.js";
import { Box, Discrete } from "../envs/spaces.js";

interface ExportLayer {
  kind: LayerDescription["kind"];
  /** offsets of the weight and bias in the parameter array (linear, conv2d) */
  w?: number;
  b?: number;
  inShape: number[];
  outShape: number[];
  kernel?: number;
  stride?: number;
  padding?: number;
}

/** The module's source text for a saved policy's bytes. */
export function policyModuleSource(bytes: Uint8Array, options: { source?: string } = {}): string {
  const what = options.source ?? "policy";
  const policy = new Policy(bytes, { source: what });
  const saved = policy.saved;
  const net = policy.network;
  const tensors = net.stateTensors("");
  const layers: ExportLayer[] = [];
  const chunks: Float32Array[] = [];
  let offset = 0;
  const push = (data: Float32Array) => {
    chunks.push(data);
    const at = offset;
    offset += data.length;
    return at;
  };
  let shape = [...net.inputShape];
  for (const [index, d] of saved.network.layers.entries()) {
    const layer: ExportLayer = { kind: d.kind, inShape: shape, outShape: shape };
    if (d.kind === "linear" || d.kind === "conv2d") {
      const weight = tensors.find((t) => t.name === `${index}.weight`);
      const bias = tensors.find((t) => t.name === `${index}.bias`);
      if (!weight || !bias) throw new TensorFileError(`${what}: layer ${index} (${d.kind}) has no weight or bias`);
      layer.w = push(weight.data);
      layer.b = push(bias.data);
      if (d.kind === "linear") layer.outShape = [d.out];
      else {
        const [h, w] = shape as [number, number, number];
        const oh = Math.floor((h + 2 * d.padding - d.kernel) / d.stride) + 1;
        const ow = Math.floor((w + 2 * d.padding - d.kernel) / d.stride) + 1;
        Object.assign(layer, { kernel: d.kernel, stride: d.stride, padding: d.padding, outShape: [oh, ow, d.out] });
      }
    }
    shape = layer.outShape;
    layers.push(layer);
  }
  const params = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    params.set(c, at);
    at += c.length;
  }
  const actionSpace = policy.actionSpace;
  const spec = {
    algo: saved.algo,
    envId: saved.envId,
    observationSpace: policy.observationSpace.toJSON(),
    actionSpace: actionSpace.toJSON(),
    inputSize: net.inputSize,
    head: saved.head,
    normalization: saved.observationNormalization,
    actionStart: actionSpace instanceof Discrete ? actionSpace.start : 0,
    actionLow: actionSpace instanceof Box ? Array.from(actionSpace.low) : null,
    actionHigh: actionSpace instanceof Box ? Array.from(actionSpace.high) : null,
    layers,
  };
  return `${MODULE_HEADER(saved)}
const SPEC = ${JSON.stringify(spec)};
const PARAMS = decode("${base64(new Uint8Array(params.buffer, params.byteOffset, params.byteLength))}");
${RUNTIME}`;
}

const MODULE_HEADER = (saved: SavedPolicy) => `// A tsrl policy (${saved.algo} on ${saved.envId}), exported by \`tsrl export\`: no imports, runs in browsers and Node.
// act(observation) → the greedy (or mean) action; actBatch(observations, batch) → one action per row.`;

// The runtime shipped in every exported module (kept in step with src/nn/js-kernels.ts and Policy.act).
const RUNTIME = String.raw`
function decode(b64) {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

function forward(x, batch) {
  let cur = x;
  for (const L of SPEC.layers) {
    const inSize = L.inShape.reduce((a, b) => a * b, 1), outSize = L.outShape.reduce((a, b) => a * b, 1);
    const y = new Float32Array(batch * outSize);
    if (L.kind === "linear") {
      const k = inSize, n = outSize;
      for (let i = 0; i < batch; i++)
        for (let j = 0; j < n; j++) {
          let s = PARAMS[L.b + j];
          for (let p = 0; p < k; p++) s += cur[i * k + p] * PARAMS[L.w + p * n + j];
          y[i * n + j] = s;
        }
    } else if (L.kind === "conv2d") {
      const [h, w, c] = L.inShape, [oh, ow, n] = L.outShape, K = L.kernel;
      for (let b = 0; b < batch; b++)
        for (let oy = 0; oy < oh; oy++)
          for (let ox = 0; ox < ow; ox++)
            for (let j = 0; j < n; j++) {
              let s = PARAMS[L.b + j], p = 0;
              for (let ky = 0; ky < K; ky++) {
                const iy = oy * L.stride - L.padding + ky;
                for (let kx = 0; kx < K; kx++) {
                  const ix = ox * L.stride - L.padding + kx;
                  const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                  for (let ch = 0; ch < c; ch++, p++) if (inside) s += cur[b * inSize + (iy * w + ix) * c + ch] * PARAMS[L.w + p * n + j];
                }
              }
              y[((b * oh + oy) * ow + ox) * n + j] = s;
            }
    } else if (L.kind === "tanh") {
      for (let i = 0; i < y.length; i++) y[i] = Math.tanh(cur[i]);
    } else if (L.kind === "relu") {
      for (let i = 0; i < y.length; i++) y[i] = cur[i] > 0 ? cur[i] : 0;
    } else throw new Error("unknown layer " + L.kind);
    cur = y;
  }
  return cur;
}

function input(observations, batch) {
  const d = SPEC.inputSize;
  const flat = observations.length === batch * d ? observations : Array.prototype.flat.call(observations, Infinity);
  if (flat.length !== batch * d) throw new RangeError("expected " + batch + " observation(s) of " + d + " numbers, got " + flat.length + " numbers");
  const x = new Float32Array(batch * d);
  const norm = SPEC.normalization;
  for (let i = 0; i < batch * d; i++) {
    const v = Number(flat[i]);
    if (!norm) x[i] = v;
    else {
      const k = i % d;
      x[i] = Math.min(norm.clip, Math.max(-norm.clip, (v - norm.mean[k]) / Math.sqrt(norm.var[k] + norm.epsilon)));
    }
  }
  return x;
}

/** One action per row of observations (batch × inputSize numbers): Int32Array for discrete actions, Float32Array (batch × actionDim) for continuous ones. */
export function actBatch(observations, batch = 1) {
  const out = forward(input(observations, batch), batch);
  const head = SPEC.head;
  if ("actionDim" in head) {
    const d = head.actionDim, a = new Float32Array(batch * d);
    for (let i = 0; i < a.length; i++) {
      const k = i % d;
      // the mean action (SAC: tanh of the mean, scaled; TD3/DDPG: the actor's output, scaled), clipped
      // to the Box (JSON holds infinite bounds as null)
      const v = head.kind === "gaussian" ? out[i]
        : head.kind === "squashed-gaussian" ? Math.tanh(out[2 * d * Math.floor(i / d) + k]) * head.scale[k] + head.bias[k]
        : out[i] * head.scale[k] + head.bias[k];
      a[i] = Math.min(SPEC.actionHigh[k] ?? Infinity, Math.max(SPEC.actionLow[k] ?? -Infinity, v));
    }
    return a;
  }
  const n = head.numActions, actions = new Int32Array(batch);
  let values = out;
  if (head.kind === "q-values" && head.bins) {
    const centers = head.bins.centers, bins = centers.length;
    values = new Float32Array(batch * n);
    for (let r = 0; r < batch * n; r++) {
      let max = -Infinity, z = 0, s = 0;
      for (let i = 0; i < bins; i++) max = Math.max(max, out[r * bins + i]);
      for (let i = 0; i < bins; i++) {
        const e = Math.exp(out[r * bins + i] - max);
        z += e;
        s += e * centers[i];
      }
      values[r] = s / z;
    }
  }
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let j = 1; j < n; j++) if (values[b * n + j] > values[b * n + best]) best = j;
    actions[b] = best + SPEC.actionStart;
  }
  return actions;
}

/** The action for one observation (its numbers flat, or nested arrays of the observation's shape). */
export function act(observation) {
  const a = actBatch(typeof observation === "number" ? [observation] : observation, 1);
  return "actionDim" in SPEC.head ? a : a[0];
}

export const policy = { algo: SPEC.algo, envId: SPEC.envId, observationSpace: SPEC.observationSpace, actionSpace: SPEC.actionSpace, head: SPEC.head };
export default { act, actBatch, policy };
`;

function base64(bytes: Uint8Array): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += alphabet[(n >> 18) & 63]! + alphabet[(n >> 12) & 63]! + (i + 1 < bytes.length ? alphabet[(n >> 6) & 63]! : "=") + "=";
  }
  return out;
}
