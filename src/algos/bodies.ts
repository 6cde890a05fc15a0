/**
 * The observation side of an algorithm's networks: an MLP over the flattened observation by
 * default, or convolutions first (`convChannels`) for image observations [height, width,
 * channels] — MinAtar's network is `convChannels: [16]`, kernel 3, then a 128-unit layer.
 */
import { Box, type Space } from "../envs/spaces.js";
import { type Init, type LayerSpec, conv2d, relu } from "../nn/layers.js";
import { ConfigError } from "./common.js";

export interface BodyConfig {
  envId: string;
  /** output channels of each 2-D convolution (stride 1, no padding, ReLU) before the dense layers; empty for none */
  convChannels: number[];
  /** the convolutions' kernel size */
  convKernel: number;
}

/** The network's input shape and the convolution layers (if any) that come before its dense layers. */
export function observationBody(space: Space, obsSize: number, c: BodyConfig, init: Init = "default"): { inputShape: number[]; conv: LayerSpec[] } {
  if (!c.convChannels.length) return { inputShape: [obsSize], conv: [] };
  const shape = space instanceof Box ? space.shape : [];
  if (shape.length !== 3) {
    throw new ConfigError(`convChannels needs image observations shaped [height, width, channels]; ${c.envId} has ${space}. Leave convChannels empty for an MLP.`);
  }
  const [h, w] = shape as [number, number, number];
  if (c.convKernel > h || c.convKernel > w) throw new ConfigError(`convKernel ${c.convKernel} is larger than ${c.envId}'s ${h}×${w} observations`);
  return { inputShape: [...shape], conv: c.convChannels.flatMap((out) => [conv2d(out, { kernel: c.convKernel, init }), relu()]) };
}
