/**
 * A simple orthographic projection of a MuJoCo model's geoms (not MuJoCo's OpenGL renderer, which
 * the WebAssembly build has no context for): a side view (x right, z up, looking along +y) or a top
 * view (x right, y up), in each geom's colour, far geoms first; planes as the ground, with a tick
 * (side) or grid line (top) every metre so motion shows when the view follows a body.
 */
import type { MjData, MjModel } from "mujoco-js";
import type { RenderTarget } from "../kernel.js";
import { type Rgb, fill, fillCircle, fillPolygon, line } from "../render/raster.js";

export interface MujocoCamera {
  view: "side" | "top";
  /** pixels per metre */
  scale: number;
  /** the world point at the frame's centre (horizontal, vertical in the view's axes) */
  center: [number, number];
  /** a body whose position the centre follows (horizontal axis; both axes in the top view) */
  track?: number;
  width?: number;
  height?: number;
}

const SKY: Rgb = [178, 204, 230];
const GEOM_PLANE = 0, GEOM_SPHERE = 2, GEOM_CAPSULE = 3, GEOM_ELLIPSOID = 4, GEOM_CYLINDER = 5, GEOM_BOX = 6;
/** MuJoCo's default geom rgba: a geom that keeps it takes its material's colour */
const isDefaultRgba = (c: ArrayLike<number>, o: number) => c[o] === 0.5 && c[o + 1] === 0.5 && c[o + 2] === 0.5 && c[o + 3] === 1;

export function renderProjection(model: MjModel, data: MjData, camera: MujocoCamera): RenderTarget {
  const width = camera.width ?? 480, height = camera.height ?? 480;
  const frame: RenderTarget = { width, height, data: new Uint8Array(width * height * 3) };
  fill(frame, SKY);
  const top = camera.view === "top";
  const gx = data.geom_xpos as Float64Array, gm = data.geom_xmat as Float64Array, bx = data.xpos as Float64Array;
  const types = model.geom_type as Int32Array, sizes = model.geom_size as Float64Array, rgba = model.geom_rgba as Float32Array;
  const matid = model.geom_matid as Int32Array, matRgba = model.mat_rgba as Float32Array;
  let [ch, cv] = camera.center;
  if (camera.track !== undefined) {
    ch += bx[3 * camera.track]!;
    if (top) cv += bx[3 * camera.track + 1]!;
  }
  const v = top ? 1 : 2; // the world axis drawn upwards
  const px = (x: number) => width / 2 + (x - ch) * camera.scale;
  const py = (y: number) => height / 2 - (y - cv) * camera.scale;
  const colour = (g: number): Rgb | null => {
    const src = matid[g]! >= 0 && isDefaultRgba(rgba, 4 * g) ? matRgba : rgba, o = src === rgba ? 4 * g : 4 * matid[g]!;
    return src[o + 3]! === 0 ? null : [Math.round(255 * src[o]!), Math.round(255 * src[o + 1]!), Math.round(255 * src[o + 2]!)];
  };
  // far first: the side view looks along +y, the top view down −z
  const order = Array.from({ length: model.ngeom }, (_, g) => g).sort((a, b) => (top ? gx[3 * a + 2]! - gx[3 * b + 2]! : gx[3 * b + 1]! - gx[3 * a + 1]!));
  for (const g of order) {
    const c = colour(g);
    if (!c) continue;
    const x = gx[3 * g]!, y = gx[3 * g + v]!, s0 = sizes[3 * g]!, s1 = sizes[3 * g + 1]!, s2 = sizes[3 * g + 2]!;
    const m = 9 * g;
    switch (types[g]) {
      case GEOM_PLANE: {
        const darker: Rgb = [c[0] * 0.6, c[1] * 0.6, c[2] * 0.6];
        const h0 = Math.ceil(ch - width / 2 / camera.scale), h1 = ch + width / 2 / camera.scale;
        if (top) {
          // the floor seen from above, with a grid line every metre
          fill(frame, c);
          for (let t = h0; t <= h1; t++) line(frame, px(t), 0, px(t), height, 1, darker);
          for (let t = Math.ceil(cv - height / 2 / camera.scale); t <= cv + height / 2 / camera.scale; t++) line(frame, 0, py(t), width, py(t), 1, darker);
          break;
        }
        const ground = py(y);
        fillPolygon(frame, [0, ground, width, ground, width, height, 0, height], c);
        for (let t = h0; t <= h1; t++) line(frame, px(t), ground, px(t), ground + 8, 2, darker);
        break;
      }
      case GEOM_SPHERE:
      case GEOM_ELLIPSOID:
        fillCircle(frame, px(x), py(y), Math.max(s0, s1, s2) * camera.scale, c);
        break;
      case GEOM_CAPSULE:
      case GEOM_CYLINDER: {
        // the axis is the geom frame's z (column 2 of the row-major xmat); half-length size[1]
        const ax = gm[m + 2]! * s1, ay = gm[m + 3 * v + 2]! * s1;
        line(frame, px(x - ax), py(y - ay), px(x + ax), py(y + ay), 2 * s0 * camera.scale, c);
        if (types[g] === GEOM_CAPSULE) {
          fillCircle(frame, px(x - ax), py(y - ay), s0 * camera.scale, c);
          fillCircle(frame, px(x + ax), py(y + ay), s0 * camera.scale, c);
        } else if (Math.hypot(ax, ay) < s0) fillCircle(frame, px(x), py(y), s0 * camera.scale, c); // seen end-on
        break;
      }
      case GEOM_BOX: {
        // the convex hull of the 8 projected corners (gift wrapping)
        const pts: [number, number][] = [];
        for (const i of [-1, 1]) for (const j of [-1, 1]) for (const k of [-1, 1]) {
          const h = x + i * s0 * gm[m]! + j * s1 * gm[m + 1]! + k * s2 * gm[m + 2]!;
          const w = y + i * s0 * gm[m + 3 * v]! + j * s1 * gm[m + 3 * v + 1]! + k * s2 * gm[m + 3 * v + 2]!;
          pts.push([px(h), py(w)]);
        }
        fillPolygon(frame, convexHull(pts), c);
        break;
      }
      default:
        break; // meshes, height fields and SDFs are not in Gymnasium's v5 models
    }
  }
  return frame;
}

function convexHull(pts: [number, number][]): number[] {
  const start = pts.reduce((a, b) => (b[0] < a[0] || (b[0] === a[0] && b[1] < a[1]) ? b : a));
  const hull: number[] = [];
  let p = start;
  for (let guard = 0; guard <= pts.length; guard++) {
    hull.push(p[0], p[1]);
    let q = pts[0] === p ? pts[1]! : pts[0]!;
    for (const r of pts) {
      const cross = (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
      if (cross < 0 || (cross === 0 && Math.hypot(r[0] - p[0], r[1] - p[1]) > Math.hypot(q[0] - p[0], q[1] - p[1]))) q = r;
    }
    p = q;
    if (p === start) break;
  }
  return hull;
}
