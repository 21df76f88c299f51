// Splits one generation into dispatches that respect the device's limits. Pure arithmetic, so it is
// tested on its own; the GPU path and the tests share it.
import { roundUp4 } from '../contract/align.js';

export interface DispatchLimits {
  /** Largest storage binding, in bytes (a multiple of 4). */
  readonly maxBindingBytes: number;
  /** minStorageBufferOffsetAlignment. */
  readonly bindingAlignment: number;
  /** maxComputeWorkgroupsPerDimension. */
  readonly maxWorkgroupsPerDimension: number;
  /** Invocations per workgroup. */
  readonly workgroupSize: number;
  /**
   * Philox blocks (4 elements each) per invocation, grid-stride: invocation q of a dispatch computes
   * blocks q, q + blockStride, q + 2 blockStride, ... Default 1.
   */
  readonly blocksPerInvocation?: number;
}

export interface DispatchChunk {
  /** Tensor index of the chunk's first element. */
  readonly start: bigint;
  /** Elements in this chunk. */
  readonly count: number;
  /**
   * Byte range bound as the output array: bindOffset is aligned to bindingAlignment, the end is the
   * chunk's last byte rounded up to 4 (for 2-byte elements the last word may be shared with a neighbour,
   * whose half the kernel preserves).
   */
  readonly bindOffset: number;
  readonly bindSize: number;
  /** Index within the binding, in elements of elementBytes, where the chunk's first element goes. */
  readonly outIndex: number;
  /**
   * Workgroups in x and y; invocation (x, y) is q = y * rowBlocks + x and, for q < blockStride, computes
   * blocks q + i * blockStride (i < blocksPerInvocation) of the chunk.
   */
  readonly workgroups: readonly [number, number];
  readonly rowBlocks: number;
  /** Invocations that compute blocks: ceil(blocks / blocksPerInvocation). */
  readonly blockStride: number;
}

/** Blocks per dispatch are kept below 2^30 so that 4 * block + 3 fits the shader's u32 arithmetic. */
export const MAX_BLOCKS_PER_DISPATCH = 2 ** 30 - 1;

/** `byteOffset` must be a multiple of elementBytes (2 or 4). */
export function planDispatches(byteOffset: number, count: number, start: bigint, limits: DispatchLimits, elementBytes: 2 | 4 = 4): DispatchChunk[] {
  const { maxBindingBytes, bindingAlignment, maxWorkgroupsPerDimension, workgroupSize } = limits;
  const perInvocation = limits.blocksPerInvocation ?? 1;
  if (maxBindingBytes < 2 * bindingAlignment || maxBindingBytes % 4 !== 0) {
    throw new RangeError(`maxBindingBytes must be a multiple of 4 and at least ${2 * bindingAlignment}`);
  }
  if (!Number.isInteger(perInvocation) || perInvocation < 1) throw new RangeError(`blocksPerInvocation ${perInvocation}`);
  const maxBlocks = Math.min(MAX_BLOCKS_PER_DISPATCH, maxWorkgroupsPerDimension * maxWorkgroupsPerDimension * workgroupSize * perInvocation);
  const chunks: DispatchChunk[] = [];
  let done = 0;
  while (done < count) {
    const cur = byteOffset + done * elementBytes;
    const bindOffset = Math.floor(cur / bindingAlignment) * bindingAlignment;
    const chunkStart = start + BigInt(done);
    const phase = Number(chunkStart & 3n);
    const fitBinding = Math.floor((bindOffset + maxBindingBytes - cur) / elementBytes);
    const fitDispatch = 4 * maxBlocks - phase;
    const n = Math.min(count - done, fitBinding, fitDispatch);
    const blocks = Math.ceil((phase + n) / 4);
    const blockStride = Math.ceil(blocks / perInvocation);
    const groups = Math.ceil(blockStride / workgroupSize);
    const x = Math.min(groups, maxWorkgroupsPerDimension);
    const y = Math.ceil(groups / x);
    chunks.push({
      start: chunkStart,
      count: n,
      bindOffset,
      bindSize: roundUp4(cur + n * elementBytes) - bindOffset,
      outIndex: (cur - bindOffset) / elementBytes,
      workgroups: [x, y],
      rowBlocks: x * workgroupSize,
      blockStride,
    });
    done += n;
  }
  return chunks;
}
