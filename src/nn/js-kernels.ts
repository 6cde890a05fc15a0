import type { Kernels } from "./kernels.js";


/**
 * Plain-loop kernels: the obviously-correct reference path (sums in float64), and the fallback
 * where WebAssembly SIMD is unavailable. Slow on purpose: no blocking, no unrolling.
 */
export function createJsKernels(memory = new WebAssembly.Memory({ initial: 16 })): Kernels {
  let cached: Float32Array | null = null;
  const f32 = (): Float32Array => {
    if (cached === null || cached.buffer !== memory.buffer) cached = new Float32Array(memory.buffer);
    return cached;
  };
  return {
    name: "js",
    memory,
    linearForward(m, k, n, x, w, b, y) {
      const a = f32();
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = b >= 0 ? a[b + j] : 0;
          for (let p = 0; p < k; p++) s += a[x + i * k + p] * a[w + p * n + j];
          a[y + i * n + j] = s;
        }
      }
    },
    matmulNT(m, k, n, pa, pb, c, accumulate) {
      const a = f32();
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[pa + i * k + p] * a[pb + j * k + p];
          a[c + i * n + j] = accumulate ? a[c + i * n + j] + s : s;
        }
      }
    },
    matmulTN(m, k, n, pa, pb, c, accumulate) {
      const a = f32();
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += a[pa + p * m + i] * a[pb + p * n + j];
          a[c + i * n + j] = accumulate ? a[c + i * n + j] + s : s;
        }
      }
    },
    columnSums(m, n, pa, out, accumulate) {
      const a = f32();
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += a[pa + i * n + j];
        a[out + j] = accumulate ? a[out + j] + s : s;
      }
    },
    tanhForward(length, x, y) {
      const a = f32();
      for (let i = 0; i < length; i++) a[y + i] = Math.tanh(a[x + i]);
    },
    tanhBackward(length, y, dy, dx) {
      const a = f32();
      for (let i = 0; i < length; i++) {
        const t = a[y + i];
        a[dx + i] = a[dy + i] * (1 - t * t);
      }
    },
    im2col(batch, h, w, c, kernel, stride, padding, x, cols) {
      const a = f32();
      const oh = Math.floor((h + 2 * padding - kernel) / stride) + 1;
      const ow = Math.floor((w + 2 * padding - kernel) / stride) + 1;
      let out = cols;
      for (let b = 0; b < batch; b++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            for (let ky = 0; ky < kernel; ky++) {
              const iy = oy * stride - padding + ky;
              for (let kx = 0; kx < kernel; kx++) {
                const ix = ox * stride - padding + kx;
                const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                for (let ch = 0; ch < c; ch++) a[out++] = inside ? a[x + ((b * h + iy) * w + ix) * c + ch] : 0;
              }
            }
          }
        }
      }
    },
    col2im(batch, h, w, c, kernel, stride, padding, cols, dx) {
      const a = f32();
      const oh = Math.floor((h + 2 * padding - kernel) / stride) + 1;
      const ow = Math.floor((w + 2 * padding - kernel) / stride) + 1;
      a.fill(0, dx, dx + batch * h * w * c);
      let at = cols;
      for (let b = 0; b < batch; b++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            for (let ky = 0; ky < kernel; ky++) {
              const iy = oy * stride - padding + ky;
              for (let kx = 0; kx < kernel; kx++) {
                const ix = ox * stride - padding + kx;
                const inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
                for (let ch = 0; ch < c; ch++, at++) if (inside) a[dx + ((b * h + iy) * w + ix) * c + ch] += a[at];
              }
            }
          }
        }
      }
    },
    reluForward(length, x, y) {
      const a = f32();
      for (let i = 0; i < length; i++) a[y + i] = a[x + i] > 0 ? a[x + i] : 0;
    },
    reluBackward(length, y, dy, dx) {
      const a = f32();
      for (let i = 0; i < length; i++) a[dx + i] = a[y + i] > 0 ? a[dy + i] : 0;
    },
    sumOfSquares(length, x) {
      const a = f32();
      let s = 0;
      for (let i = 0; i < length; i++) s += a[x + i] * a[x + i];
      return s;
    },
    scale(length, x, s) {
      const a = f32();
      for (let i = 0; i < length; i++) a[x + i] *= s;
    },
    adamStep(length, p, g, m, v, lr, beta1, beta2, eps, step) {
      const a = f32();
      const stepSize = lr / (1 - beta1 ** step);
      const bias2Sqrt = Math.sqrt(1 - beta2 ** step);
      for (let i = 0; i < length; i++) {
        const grad = a[g + i];
        a[m + i] = beta1 * a[m + i] + (1 - beta1) * grad;
        a[v + i] = beta2 * a[v + i] + (1 - beta2) * grad * grad;
        a[p + i] -= (stepSize * a[m + i]) / (Math.sqrt(a[v + i]) / bias2Sqrt + eps);
      }
    },
    rmspropStep(length, p, g, squareAverage, gradAverage, lr, alpha, eps) {
      const a = f32();
      for (let i = 0; i < length; i++) {
        const grad = a[g + i];
        a[squareAverage + i] = alpha * a[squareAverage + i] + (1 - alpha) * grad * grad;
        let variance = a[squareAverage + i];
        if (gradAverage >= 0) {
          a[gradAverage + i] = alpha * a[gradAverage + i] + (1 - alpha) * grad;
          variance -= a[gradAverage + i] * a[gradAverage + i];
        }
        a[p + i] -= (lr * grad) / (Math.sqrt(variance) + eps);
      }
    },
  };
}

