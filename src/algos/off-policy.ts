/**
 * What SAC, TD3 and DDPG share: the checks on their action space, CleanRL's action scaling
 * (scale = (high − low)/2, bias = (high + low)/2, float32 as its `register_buffer`s), the
 * MLP shapes of its actors and critics Q(s, a), and stopping on NaN with the update and tensor.
 */
import { Box } from "../envs/spaces.js";
import { type LayerSpec, linear, relu } from "../nn/layers.js";
import type { Network } from "../nn/network.js";
import { ConfigError, NonFiniteError } from "./common.js";
import type { TrainingTarget } from "./training-env.js";

/** The env's Box action space, or a ConfigError saying what to use instead. */
export function boundedBoxActions(target: TrainingTarget, algo: string): Box {
  const space = target.actionSpace;
  if (!(space instanceof Box)) {
    throw new ConfigError(
      `${algo} needs a continuous (Box) action space; ${target.envId} has ${space}. ` +
        `For discrete actions use DQN or PPO (tsrl train dqn --env ${target.envId}, tsrl train ppo --env ${target.envId}).`,
    );
  }
  if (!space.bounded) {
    throw new ConfigError(`${algo} squashes actions into the Box bounds; ${target.envId} has unbounded ${space}: give the action space finite low and high bounds`);
  }
  return space;
}

/** CleanRL's `action_scale` and `action_bias` buffers (float32). */
export function actionScaling(space: Box): { scale: Float32Array; bias: Float32Array } {
  const scale = new Float32Array(space.size), bias = new Float32Array(space.size);
  for (let k = 0; k < space.size; k++) {
    scale[k] = (space.high[k]! - space.low[k]!) / 2;
    bias[k] = (space.high[k]! + space.low[k]!) / 2;
  }
  return { scale, bias };
}

/** Hidden ReLU layers then a linear output (PyTorch's default init, as CleanRL's nn.Linear). */
export function mlp(hiddenSizes: readonly number[], outputs: number): LayerSpec[] {
  return [...hiddenSizes.flatMap((h) => [linear(h), relu()]), linear(outputs)];
}

/** Stops training when `value` is NaN or infinite, naming the update and the tensor. */
export function assertFiniteValue(value: number, what: string, update: number, step: number): void {
  if (Number.isFinite(value)) return;
  throw new NonFiniteError(
    `${what} became ${value} at update ${update} (global step ${step}); training stopped. ` +
      "Try lower learning rates (--q-lr, --policy-lr) or check the env's rewards and observations for NaN; the run's metrics up to here are valid.",
  );
}

/** Mean of a network's last output (a Q head of one unit), checked finite. */
export function meanOutput(net: Network, batch: number, what: string, update: number, step: number): number {
  const out = net.outputView(batch);
  let s = 0;
  for (let b = 0; b < batch; b++) s += out[b]!;
  assertFiniteValue(s, what, update, step);
  return s / batch;
}
