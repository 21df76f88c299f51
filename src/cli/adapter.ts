// What the CLI says about the adapter, and the adapter's limits without a device (for `init --dry-run`).

import { UnsupportedError } from '../errors.js';
import { isSoftwareAdapter } from '../gpu/context.js';
import { type AdapterSummary, infoOf } from '../gpu/device.js';
import type { PlanLimits } from '../models/model-plan.js';
import { requestNodeGPU } from '../node.js';

/** The adapter in one short JSON object: what it is, not its limits and features (`info` prints those). */
export interface CompactAdapter {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly isFallbackAdapter: boolean;
}

export function compactAdapter(a: Pick<AdapterSummary, keyof CompactAdapter>): CompactAdapter {
  return { vendor: a.vendor, architecture: a.architecture, description: a.description, isFallbackAdapter: a.isFallbackAdapter };
}

export interface ProbedAdapter {
  readonly adapter: CompactAdapter;
  readonly limits: PlanLimits;
  /** SwiftShader, llvmpipe and the like: their buffers are this machine's memory. */
  readonly software: boolean;
}

/** The adapter createNodeContext would use, and its limits (the device gets the same), without a device. */
export async function probeAdapter(): Promise<ProbedAdapter> {
  const { gpu } = await requestNodeGPU();
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new UnsupportedError('no WebGPU adapter is available (requestAdapter() returned null)');
  const info = infoOf(adapter.info);
  return {
    adapter: compactAdapter(info),
    limits: { maxBufferSize: adapter.limits.maxBufferSize, minStorageBufferOffsetAlignment: adapter.limits.minStorageBufferOffsetAlignment },
    software: isSoftwareAdapter(info),
  };
}
