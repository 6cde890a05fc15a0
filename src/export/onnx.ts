/**
 * `tsrl export --format onnx`: a saved policy as an ONNX model (opset 13) for serving stacks
 * that run ONNX. Input `obs` [N, inputSize] float32 (the flattened observation); outputs `action`
 * ([N] int64 for discrete heads, [N, actionDim] float32 clipped to the Box for Gaussian ones) and
 * the raw network output (`logits`, `q_values` or `mean`). Observation normalization and the
 * HL-Gauss expectation are part of the graph; convolutions take tsrl's NHWC rows through
 * Transpose nodes. The protobuf is written here by hand: the format needs ~10 message types, and
 * the `onnx`/protobuf packages would bring a schema compiler to a few hundred bytes of structure.
 */
import { Policy } from "../algos/policy.js";
import { Box, Discrete } from "../envs/spaces.js";
import type { LayerDescription } from "../nn/layers.js";

const FLOAT = 1;
const INT64 = 7;

/** Protobuf wire format: varints, length-delimited fields, fixed32 floats. */
class Writer {
  private readonly bytes: number[] = [];

  varint(n: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
    return this;
  }
  key(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, n: number | bigint): this {
    return this.key(field, 0).varint(n);
  }
  float(field: number, x: number): this {
    this.key(field, 5);
    const b = new Uint8Array(new Float32Array([x]).buffer);
    this.bytes.push(...b);
    return this;
  }
  bytesField(field: number, data: Uint8Array): this {
    this.key(field, 2).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytesField(field, new TextEncoder().encode(s));
  }
  message(field: number, build: (w: Writer) => void): this {
    const inner = new Writer();
    build(inner);
    return this.bytesField(field, inner.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

type Attr = { name: string } & ({ i: number } | { ints: number[] } | { f: number });

interface Node {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Attr[];
}

interface Initializer {
  name: string;
  dims: number[];
  type: typeof FLOAT | typeof INT64;
  data: Float32Array | BigInt64Array;
}

/** Builds the graph of a saved policy's network and head; returns the model's bytes. */
export function policyToOnnx(bytes: Uint8Array, options: { source?: string } = {}): Uint8Array {
  const policy = new Policy(bytes, { source: options.source ?? "policy" });
  const saved = policy.saved;
  const net = policy.network;
  const tensors = new Map(net.stateTensors("").map((t) => [t.name, t]));
  const nodes: Node[] = [];
  const inits: Initializer[] = [];
  let counter = 0;
  const fresh = (base: string) => `${base}_${counter++}`;
  const constant = (name: string, dims: number[], values: number[]) => {
    inits.push({ name, dims, type: FLOAT, data: Float32Array.from(values) });
    return name;
  };
  const shapeConst = (values: number[]) => {
    const name = fresh("shape");
    inits.push({ name, dims: [values.length], type: INT64, data: BigInt64Array.from(values.map(BigInt)) });
    return name;
  };

  let x = "obs";
  const norm = saved.observationNormalization;
  if (norm) {
    // (obs − mean) / sqrt(var + eps), clipped: Policy.act's float64 arithmetic, here in float32
    const centered = fresh("centered"), scaled = fresh("scaled"), clipped = fresh("normalized");
    nodes.push({ op: "Sub", inputs: [x, constant("obs_mean", [net.inputSize], norm.mean)], outputs: [centered] });
    nodes.push({ op: "Div", inputs: [centered, constant("obs_std", [net.inputSize], norm.var.map((v) => Math.sqrt(v + norm.epsilon)))], outputs: [scaled] });
    nodes.push({ op: "Clip", inputs: [scaled, constant("obs_clip_min", [], [-norm.clip]), constant("obs_clip_max", [], [norm.clip])], outputs: [clipped] });
    x = clipped;
  }
  let shape = [...net.inputShape];
  let nhwc = false; // whether x is a [N, H, W, C]-flattened row or an NCHW tensor
  saved.network.layers.forEach((layer: LayerDescription, index) => {
    if (layer.kind === "conv2d") {
      const [h, w, c] = shape as [number, number, number];
      if (!nhwc) {
        const image = fresh("image"), nchw = fresh("nchw");
        nodes.push({ op: "Reshape", inputs: [x, shapeConst([-1, h, w, c])], outputs: [image] });
        nodes.push({ op: "Transpose", inputs: [image], outputs: [nchw], attrs: [{ name: "perm", ints: [0, 3, 1, 2] }] });
        x = nchw;
        nhwc = true;
      }
      // tsrl stores [ky·kx·c patch, out]; ONNX wants [out, c, ky, kx]
      const weight = tensors.get(`${index}.weight`)!.data, k = layer.kernel, out = layer.out;
      const onnxW = new Float32Array(out * c * k * k);
      for (let o = 0; o < out; o++)
        for (let ch = 0; ch < c; ch++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) onnxW[((o * c + ch) * k + ky) * k + kx] = weight[((ky * k + kx) * c + ch) * out + o]!;
      inits.push({ name: `l${index}_weight`, dims: [out, c, k, k], type: FLOAT, data: onnxW });
      inits.push({ name: `l${index}_bias`, dims: [out], type: FLOAT, data: tensors.get(`${index}.bias`)!.data });
      const y = fresh("conv");
      const p = layer.padding;
      nodes.push({ op: "Conv", inputs: [x, `l${index}_weight`, `l${index}_bias`], outputs: [y], attrs: [{ name: "kernel_shape", ints: [k, k] }, { name: "strides", ints: [layer.stride, layer.stride] }, { name: "pads", ints: [p, p, p, p] }] });
      x = y;
      shape = [Math.floor((h + 2 * p - k) / layer.stride) + 1, Math.floor((w + 2 * p - k) / layer.stride) + 1, out];
    } else if (layer.kind === "linear") {
      if (nhwc) {
        // back to tsrl's row order (height, width, channel) before the dense layer
        const back = fresh("nhwc"), flat = fresh("flat");
        nodes.push({ op: "Transpose", inputs: [x], outputs: [back], attrs: [{ name: "perm", ints: [0, 2, 3, 1] }] });
        nodes.push({ op: "Reshape", inputs: [back, shapeConst([-1, shape.reduce((a, b) => a * b, 1)])], outputs: [flat] });
        x = flat;
        nhwc = false;
      }
      const inSize = shape.reduce((a, b) => a * b, 1);
      inits.push({ name: `l${index}_weight`, dims: [inSize, layer.out], type: FLOAT, data: tensors.get(`${index}.weight`)!.data });
      inits.push({ name: `l${index}_bias`, dims: [layer.out], type: FLOAT, data: tensors.get(`${index}.bias`)!.data });
      const y = fresh("dense");
      nodes.push({ op: "Gemm", inputs: [x, `l${index}_weight`, `l${index}_bias`], outputs: [y] });
      x = y;
      shape = [layer.out];
    } else {
      const y = fresh(layer.kind);
      nodes.push({ op: layer.kind === "tanh" ? "Tanh" : "Relu", inputs: [x], outputs: [y] });
      x = y;
    }
  });

  const head = saved.head;
  const outputs: { name: string; type: number; dims: (number | string)[] }[] = [];
  const space = policy.actionSpace;
  if (head.kind !== "categorical" && head.kind !== "q-values") {
    const d = head.actionDim;
    if (head.kind === "gaussian") nodes.push({ op: "Identity", inputs: [x], outputs: ["mean"] });
    else {
      // SAC: tanh(mean) · scale + bias, the mean being the first half of the head; TD3/DDPG: output · scale + bias
      let pre = x;
      if (head.kind === "squashed-gaussian") {
        const first = fresh("mean_half"), squashed = fresh("tanh");
        nodes.push({ op: "Slice", inputs: [x, shapeConst([0]), shapeConst([d]), shapeConst([1])], outputs: [first] });
        nodes.push({ op: "Tanh", inputs: [first], outputs: [squashed] });
        pre = squashed;
      }
      const scaled = fresh("scaled_action");
      nodes.push({ op: "Mul", inputs: [pre, constant("action_scale", [d], head.scale)], outputs: [scaled] });
      nodes.push({ op: "Add", inputs: [scaled, constant("action_bias", [d], head.bias)], outputs: ["mean"] });
    }
    const box = space instanceof Box ? space : null;
    const lo = Array.from({ length: d }, (_, k) => (box ? box.low[k]! : -Infinity));
    const hi = Array.from({ length: d }, (_, k) => (box ? box.high[k]! : Infinity));
    const lower = fresh("clipped_low");
    nodes.push({ op: "Max", inputs: ["mean", constant("action_low", [d], lo)], outputs: [lower] });
    nodes.push({ op: "Min", inputs: [lower, constant("action_high", [d], hi)], outputs: ["action"] });
    outputs.push({ name: "action", type: FLOAT, dims: ["N", d] }, { name: "mean", type: FLOAT, dims: ["N", d] });
  } else {
    const rawName = head.kind === "categorical" ? "logits" : "q_values";
    let values = x;
    if (head.kind === "q-values" && head.bins) {
      // Q(s, a) = Σ softmax(logits_a) · centers
      const bins = head.bins.centers.length, grouped = fresh("bins"), probs = fresh("probs"), expected = fresh("expected");
      nodes.push({ op: "Reshape", inputs: [x, shapeConst([-1, head.numActions, bins])], outputs: [grouped] });
      nodes.push({ op: "Softmax", inputs: [grouped], outputs: [probs], attrs: [{ name: "axis", i: 2 }] });
      nodes.push({ op: "MatMul", inputs: [probs, constant("bin_centers", [bins, 1], head.bins.centers)], outputs: [expected] });
      values = fresh("q");
      nodes.push({ op: "Reshape", inputs: [expected, shapeConst([-1, head.numActions])], outputs: [values] });
    }
    nodes.push({ op: "Identity", inputs: [values], outputs: [rawName] });
    const index = fresh("argmax");
    nodes.push({ op: "ArgMax", inputs: [rawName], outputs: [index], attrs: [{ name: "axis", i: 1 }, { name: "keepdims", i: 0 }, { name: "select_last_index", i: 0 }] });
    const start = space instanceof Discrete ? space.start : 0;
    inits.push({ name: "action_start", dims: [], type: INT64, data: BigInt64Array.of(BigInt(start)) });
    nodes.push({ op: "Add", inputs: [index, "action_start"], outputs: ["action"] });
    outputs.push({ name: "action", type: INT64, dims: ["N"] }, { name: rawName, type: FLOAT, dims: ["N", head.numActions] });
  }

  const valueInfo = (w: Writer, name: string, type: number, dims: (number | string)[]) =>
    w.string(1, name).message(2, (t) =>
      t.message(1, (tensor) =>
        tensor.int(1, type).message(2, (s) => {
          for (const d of dims) s.message(1, (dim) => (typeof d === "number" ? dim.int(1, d) : dim.string(2, d)));
        }),
      ),
    );
  const model = new Writer();
  model.int(1, 8); // ir_version
  model.string(2, "tsrl");
  model.message(7, (g) => {
    nodes.forEach((n, k) =>
      g.message(1, (w) => {
        for (const i of n.inputs) w.string(1, i);
        for (const o of n.outputs) w.string(2, o);
        w.string(3, `${n.op.toLowerCase()}_${k}`);
        w.string(4, n.op);
        for (const a of n.attrs ?? []) {
          w.message(5, (attr) => {
            attr.string(1, a.name);
            if ("i" in a) attr.int(20, 2).int(3, a.i);
            else if ("ints" in a) {
              attr.int(20, 7);
              for (const v of a.ints) attr.int(8, v);
            } else attr.int(20, 1).float(2, a.f);
          });
        }
      }),
    );
    g.string(2, `${saved.algo}_${saved.envId.replace(/[^\w]/g, "_")}`);
    for (const t of inits) {
      g.message(5, (w) => {
        for (const d of t.dims) w.int(1, d);
        w.int(2, t.type);
        w.string(8, t.name);
        w.bytesField(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      });
    }
    g.message(11, (w) => valueInfo(w, "obs", FLOAT, ["N", net.inputSize]));
    for (const o of outputs) g.message(12, (w) => valueInfo(w, o.name, o.type, o.dims));
  });
  model.message(8, (o) => o.string(1, "").int(2, 13)); // opset_import: the default domain, opset 13
  return model.finish();
}
