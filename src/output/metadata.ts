// The `__metadata__` of every weight file this library writes (the CLI's --out FILE and --out DIR/, the demo's
// download and checkpoint folder): one builder, so that files made anywhere carry the same keys and the same bytes.
import { parseU64, type U64Input } from '../contract/u64.js';
import { CHECKPOINT_LAYOUT_KEY } from '../models/checkpoint-parts.js';
import type { ModelTensor } from '../models/spec.js';
import { VERSION } from '../version.js';

/**
 * `format: 'pt'` (what transformers' safetensors loader expects), the library version, the seed, and under
 * `webgpu-weight-init.initializers` a JSON map from each tensor's name to how it was initialized: its initializer
 * spec, layout, stream (a decimal string) and, for resolved tensors, the rule that chose the spec. With the seed this
 * is enough to make every value again (README: "Reading the output in Python"). The shards of a sharded checkpoint
 * also carry its `layout` (encodeCheckpointLayout) under CHECKPOINT_LAYOUT_KEY: what `verify` plans the folder from.
 */
export function weightFileMetadata(tensors: readonly (ModelTensor & { readonly rule?: string })[], seed: U64Input, layout?: string): Record<string, string> {
  return {
    format: 'pt',
    'webgpu-weight-init.version': VERSION,
    'webgpu-weight-init.seed': String(parseU64(seed, 'seed')),
    'webgpu-weight-init.initializers': JSON.stringify(
      Object.fromEntries(tensors.map((t) => [t.name, { init: t.init, layout: t.layout, stream: String(t.stream), rule: t.rule }])),
    ),
    ...(layout !== undefined ? { [CHECKPOINT_LAYOUT_KEY]: layout } : {}),
  };
}
