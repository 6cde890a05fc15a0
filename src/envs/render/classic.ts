/** Gymnasium-look RGB frames for the classic-control envs. */
import type { RenderTarget } from "../kernel.js";

export function drawCartPole(target: RenderTarget, x: number, theta: number): void {
  target.data.fill(255);
  void x;
  void theta;
}
export function drawMountainCar(target: RenderTarget, position: number, goal: number): void {
  target.data.fill(255);
  void position;
  void goal;
}
export function drawPendulum(target: RenderTarget, theta: number, lastTorque: number | null): void {
  target.data.fill(255);
  void theta;
  void lastTorque;
}
export function drawAcrobot(target: RenderTarget, theta1: number, theta2: number): void {
  target.data.fill(255);
  void theta1;
  void theta2;
}
