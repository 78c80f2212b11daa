// fedmed's WebAssembly kernels (AssemblyScript). Pointers are byte offsets
// into the shared memory the host imports; sizes are in float32 elements.
// Kernels that threads share take (params, begin, end, thread): a parameter
// block (params.ts), a range of work items, and the calling thread's index,
// which picks its slice of any scratch space.

/** The first byte past the module's static data: where the host's heap may start. */
export function heapBase(): usize {
  return __heap_base;
}

export { opsSignature } from './ops.generated';
export { fill, unary, binary, activationBackward } from './elementwise';
export { reduceSum, sumSplits, copy } from './reduce';
export { avgPool2d, avgPool2dBackward, upsampleNearest, upsampleNearestBackward, padReflect, padReflectBackward } from './resample';
export { relayout, packRows, interleavePhases, filterDot } from './conv';
export { gemm, packA, fusedMultiplyAdd } from './gemm';
export { instanceNorm, instanceNormBackward } from './norm';
export { adam } from './optim';
export { sumSquaresPerSample, clippedSumWithNoise } from './dp';
export { randomNormal } from './random';
export { pointLoss, pointLossBackward } from './loss';
export {
  unaryParamsBytes, activationParamsBytes, binaryParamsBytes, copyParamsBytes, copyEntryParamsBytes, reduceParamsBytes, resampleParamsBytes,
  relayoutParamsBytes, packRowsParamsBytes, filterDotParamsBytes, packAParamsBytes, gemmParamsBytes, sumSplitsParamsBytes, interleaveParamsBytes, adamParamsBytes, randomParamsBytes, lossParamsBytes, normParamsBytes, squaresParamsBytes, clippedSumParamsBytes,
} from './params';
