/** tsrl's neural-network core: float32 tensors in one linear memory, WASM SIMD kernels with a plain-TS reference. */
export { Backend, createBackend, defaultBackend, initBackend, setDefaultBackend } from "./backend.js";
export type { BackendKind } from "./backend.js";
export type { Kernels } from "./kernels.js";
export { createJsKernels } from "./js-kernels.js";
export { compileWasmKernels, createWasmKernels, wasmSimdAvailable } from "./wasm-kernels.js";
export { linear, conv2d, tanh, relu, layerFromDescription } from "./layers.js";
export type { Init, LayerSpec, LayerDescription, Param, Conv2dOptions } from "./layers.js";
export { Network, ParameterTensor } from "./network.js";
export type { NetworkOptions, NetworkDescription, NamedTensor, ParameterBlock, Parameterized } from "./network.js";
export { Adam, RMSprop, clipGradientNorm, gradientNorm, findNonFinite } from "./optim.js";
export type { AdamOptions, RMSpropOptions, Optimizer, OptimizerState } from "./optim.js";
export * from "./distributions.js";
export { encodeTensorFile, decodeTensorFile, TensorFileError, TENSOR_FORMAT_VERSION } from "./serialize.js";
export type { TensorFile } from "./serialize.js";
export { orthogonalMatrix } from "./init.js";
export { saveParameters, loadParameters, PARAMETERS_FORMAT, PARAMETERS_FORMAT_VERSION } from "./checkpoint.js";
export type { Optimizers } from "./checkpoint.js";
