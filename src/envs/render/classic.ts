/**
 * Gymnasium-look RGB frames for the classic-control envs, with the geometry of Gymnasium 1.4's
 * pygame `render()` methods. Gymnasium draws with y pointing up and flips the surface at the
 * end, so shapes here are built in those y-up coordinates and `Canvas` flips each vertex.
 */
import type { RenderTarget } from "../kernel.js";
import { type Rgb, fill, fillCircle, fillPolygon, line, polyline } from "./raster.js";

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];

/** The target seen with y up from the bottom edge, as Gymnasium's unflipped surface. */
class Canvas {
  constructor(readonly target: RenderTarget) {}

  private flipY(y: number): number {
    return this.target.height - 1 - y;
  }

  /** Rotates the local `[x0, y0, x1, y1, ...]` by `angle` (counter-clockwise), then moves it to (ox, oy). */
  polygon(local: readonly number[], angle: number, ox: number, oy: number, color: Rgb): void {
    const c = Math.cos(angle), s = Math.sin(angle);
    const points = new Float64Array(local.length);
    for (let k = 0; k < local.length; k += 2) {
      const x = local[k]!, y = local[k + 1]!;
      points[k] = ox + x * c - y * s;
      points[k + 1] = this.flipY(oy + x * s + y * c);
    }
    fillPolygon(this.target, points, color);
  }

  /** The rectangle [l, r] × [b, t] rotated about the local origin, as Gymnasium's rotated `coords`. */
  rect(l: number, r: number, b: number, t: number, angle: number, ox: number, oy: number, color: Rgb): void {
    this.polygon([l, b, l, t, r, t, r, b], angle, ox, oy, color);
  }

  circle(x: number, y: number, radius: number, color: Rgb): void {
    fillCircle(this.target, x, this.flipY(y), radius, color);
  }

  line(x0: number, y0: number, x1: number, y1: number, width: number, color: Rgb): void {
    line(this.target, x0, this.flipY(y0), x1, this.flipY(y1), width, color);
  }

  polyline(points: ArrayLike<number>, width: number, color: Rgb): void {
    const flipped = Float64Array.from(points, (v, k) => (k % 2 === 1 ? this.flipY(v) : v));
    polyline(this.target, flipped, width, color);
  }
}

const CARTPOLE_X_THRESHOLD = 2.4;
const CARTPOLE_HALF_POLE_LENGTH = 0.5;
const CART_COLOR: Rgb = BLACK;
const POLE_COLOR: Rgb = [202, 152, 101];
const AXLE_COLOR: Rgb = [129, 132, 203];

export function drawCartPole(target: RenderTarget, x: number, theta: number): void {
  const canvas = new Canvas(target);
  const scale = target.width / (CARTPOLE_X_THRESHOLD * 2);
  const poleWidth = 10;
  const poleLength = scale * (2 * CARTPOLE_HALF_POLE_LENGTH);
  const cartWidth = 50;
  const cartHeight = 30;
  const axleOffset = cartHeight / 4;
  const cartX = x * scale + target.width / 2;
  // Gymnasium calls this the top of the cart, but the cart is centred on it.
  const cartY = 100;

  fill(target, WHITE);
  canvas.line(0, cartY, target.width, cartY, 1, BLACK);
  canvas.rect(-cartWidth / 2, cartWidth / 2, -cartHeight / 2, cartHeight / 2, 0, cartX, cartY, CART_COLOR);
  canvas.rect(-poleWidth / 2, poleWidth / 2, -poleWidth / 2, poleLength - poleWidth / 2, -theta, cartX, cartY + axleOffset, POLE_COLOR);
  canvas.circle(cartX, cartY + axleOffset, poleWidth / 2, AXLE_COLOR);
}

const MOUNTAIN_CAR_MIN_POSITION = -1.2;
const MOUNTAIN_CAR_MAX_POSITION = 0.6;
const HILL_SAMPLES = 100;
const WHEEL_COLOR: Rgb = [128, 128, 128];
const FLAG_COLOR: Rgb = [204, 204, 0];

function hillHeight(position: number): number {
  return Math.sin(3 * position) * 0.45 + 0.55;
}

export function drawMountainCar(target: RenderTarget, position: number, goal: number): void {
  const canvas = new Canvas(target);
  const scale = target.width / (MOUNTAIN_CAR_MAX_POSITION - MOUNTAIN_CAR_MIN_POSITION);
  const carWidth = 40;
  const carHeight = 20;
  const clearance = 10;

  fill(target, WHITE);

  const hill = new Float64Array(2 * HILL_SAMPLES);
  for (let k = 0; k < HILL_SAMPLES; k++) {
    const px = MOUNTAIN_CAR_MIN_POSITION + ((MOUNTAIN_CAR_MAX_POSITION - MOUNTAIN_CAR_MIN_POSITION) * k) / (HILL_SAMPLES - 1);
    hill[2 * k] = (px - MOUNTAIN_CAR_MIN_POSITION) * scale;
    hill[2 * k + 1] = hillHeight(px) * scale;
  }
  canvas.polyline(hill, 1.5, BLACK);

  // Gymnasium tilts the car by cos(3 x), the slope of the hill, used directly as an angle.
  const tilt = Math.cos(3 * position);
  const carX = (position - MOUNTAIN_CAR_MIN_POSITION) * scale;
  const carY = clearance + hillHeight(position) * scale;
  canvas.rect(-carWidth / 2, carWidth / 2, 0, carHeight, tilt, carX, carY, BLACK);
  for (const wheelX of [carWidth / 4, -carWidth / 4]) {
    canvas.circle(carX + wheelX * Math.cos(tilt), carY + wheelX * Math.sin(tilt), carHeight / 2.5, WHEEL_COLOR);
  }

  const flagX = (goal - MOUNTAIN_CAR_MIN_POSITION) * scale;
  const flagBottom = hillHeight(goal) * scale;
  const flagTop = flagBottom + 50;
  canvas.line(flagX, flagBottom, flagX, flagTop, 1.5, BLACK);
  canvas.polygon([0, 0, 0, -10, 25, -5], 0, flagX, flagTop, FLAG_COLOR);
}

const PENDULUM_BOUND = 2.2;
const ROD_COLOR: Rgb = [204, 77, 77];

export function drawPendulum(target: RenderTarget, theta: number, lastTorque: number | null): void {
  const canvas = new Canvas(target);
  const scale = target.width / (PENDULUM_BOUND * 2);
  const centre = Math.floor(target.width / 2);
  const rodLength = 1 * scale;
  const rodWidth = 0.2 * scale;
  const angle = theta + Math.PI / 2;

  fill(target, WHITE);
  canvas.rect(0, rodLength, -rodWidth / 2, rodWidth / 2, angle, centre, centre, ROD_COLOR);
  canvas.circle(centre, centre, rodWidth / 2, ROD_COLOR);
  canvas.circle(centre + rodLength * Math.cos(angle), centre + rodLength * Math.sin(angle), rodWidth / 2, ROD_COLOR);
  if (lastTorque !== null) drawTorqueArrow(canvas, centre, centre, (scale * Math.abs(lastTorque)) / 2, lastTorque > 0);
  canvas.circle(centre, centre, 0.05 * scale, BLACK);
}

/**
 * Gymnasium blits `assets/clockwise.png` (a three-quarter circle ending in an arrowhead) scaled
 * to `size` and mirrored for positive torque; this draws the same shape as a stroked arc.
 */
function drawTorqueArrow(canvas: Canvas, cx: number, cy: number, size: number, counterClockwise: boolean): void {
  const radius = size * 0.45;
  const stroke = size * 0.03;
  const head = size * 0.16;
  const mirror = counterClockwise ? -1 : 1;
  // Clockwise from 12 o'clock round to 9 o'clock, as in the image; the head then points up.
  const start = Math.PI / 2;
  const sweep = -1.5 * Math.PI;
  const steps = 48;
  const arc = new Float64Array(2 * (steps + 1));
  for (let k = 0; k <= steps; k++) {
    const a = start + (sweep * k) / steps;
    arc[2 * k] = cx + mirror * radius * Math.cos(a);
    arc[2 * k + 1] = cy + radius * Math.sin(a);
  }
  canvas.polyline(arc, stroke, BLACK);
  const tipX = cx - mirror * radius;
  canvas.polygon([-head / 2, 0, head / 2, 0, 0, head], 0, tipX, cy, BLACK);
}

const ACROBOT_LINK_LENGTH = 1.0;
const LINK_COLOR: Rgb = [0, 204, 204];
const JOINT_COLOR: Rgb = [204, 204, 0];

export function drawAcrobot(target: RenderTarget, theta1: number, theta2: number): void {
  const canvas = new Canvas(target);
  const bound = ACROBOT_LINK_LENGTH * 2 + 0.2;
  const scale = target.width / (bound * 2);
  const offset = target.width / 2;
  const linkLength = ACROBOT_LINK_LENGTH * scale;
  const halfWidth = 0.1 * scale;

  fill(target, WHITE);
  canvas.line(-bound * scale + offset, 1 * scale + offset, bound * scale + offset, 1 * scale + offset, 1, BLACK);

  // θ1 = 0 hangs the first link straight down from the pivot; θ2 is relative to the first link.
  const elbowX = offset + linkLength * Math.sin(theta1);
  const elbowY = offset - linkLength * Math.cos(theta1);
  const links: [x: number, y: number, angle: number][] = [
    [offset, offset, theta1 - Math.PI / 2],
    [elbowX, elbowY, theta1 + theta2 - Math.PI / 2],
  ];
  for (const [x, y, angle] of links) {
    canvas.rect(0, linkLength, -halfWidth, halfWidth, angle, x, y, LINK_COLOR);
    canvas.circle(x, y, halfWidth, JOINT_COLOR);
  }
}
