/**
 * Layer normalization over each sample's features (PyTorch's nn.LayerNorm over the last dims,
 * elementwise affine, ε 1e-5): y = (x − mean)/√(var + ε)·γ + β, γ initialized to 1, β to 0. RLPD
 * puts it after every hidden Linear of its critics. Plain loops over the backend's memory: the
 * cost is O(features) per sample beside the O(features²) of the Linear before it. The backward
 * recomputes each sample's mean and deviation from x, so the layer keeps no state between calls.
 */
import type { LayerSpec, Param } from "./layers.js";

const EPSILON = 1e-5;

export function layerNorm(): LayerSpec {
  return {
    kind: "layernorm",
    outputShape: (input) => [...input],
    paramSpecs: (input) => {
      const n = input.reduce((a, b) => a * b, 1);
      return [
        { name: "weight", shape: [n] },
        { name: "bias", shape: [n] },
      ];
    },
    scratchPerSample: () => 0,
    describe: () => ({ kind: "layernorm" }),
    build({ backend, inputShape, params }) {
      const n = inputShape.reduce((a, b) => a * b, 1);
      const [weight, bias] = params as [Param, Param];
      /** mean and 1/√(var + ε) of sample b's features */
      const stats = (a: Float32Array, x: number, b: number): [number, number] => {
        const o = x + b * n;
        let mean = 0;
        for (let i = 0; i < n; i++) mean += a[o + i]!;
        mean /= n;
        let v = 0;
        for (let i = 0; i < n; i++) v += (a[o + i]! - mean) ** 2;
        return [mean, 1 / Math.sqrt(v / n + EPSILON)];
      };
      return {
        params,
        initialize() {
          backend.view32(weight.value, n).fill(1);
          backend.view32(bias.value, n).fill(0);
        },
        forward(x, y, batch) {
          const a = backend.f32, g = weight.value, beta = bias.value;
          for (let b = 0; b < batch; b++) {
            const [mean, rstd] = stats(a, x, b);
            for (let i = 0, o = b * n; i < n; i++) a[y + o + i] = (a[x + o + i]! - mean) * rstd * a[g + i]! + a[beta + i]!;
          }
        },
        backward(x, _y, dy, dx, batch, parameterGradients = true) {
          const a = backend.f32, g = weight.value;
          if (parameterGradients) {
            a.fill(0, weight.grad, weight.grad + n);
            a.fill(0, bias.grad, bias.grad + n);
          }
          for (let b = 0; b < batch; b++) {
            const [mean, rstd] = stats(a, x, b);
            const o = b * n;
            // dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = dy·γ
            let sumG = 0, sumGX = 0;
            for (let i = 0; i < n; i++) {
              const xhat = (a[x + o + i]! - mean) * rstd, d = a[dy + o + i]!;
              if (parameterGradients) {
                a[weight.grad + i] += d * xhat;
                a[bias.grad + i] += d;
              }
              sumG += d * a[g + i]!;
              sumGX += d * a[g + i]! * xhat;
            }
            if (dx < 0) continue;
            sumG /= n;
            sumGX /= n;
            for (let i = 0; i < n; i++) {
              const xhat = (a[x + o + i]! - mean) * rstd;
              a[dx + o + i] = rstd * (a[dy + o + i]! * a[g + i]! - sumG - xhat * sumGX);
            }
          }
        },
      };
    },
  };
}
