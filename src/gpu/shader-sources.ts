// WGSL modules as the host compiles them. WGSL has no include, so each module is the concatenation of the
// shared function files and one entry-point file; the layout is reflected from that entry-point file.

import generateWgsl from '../../shaders/generate.wgsl?raw';
import generateLayout from '../../shaders/generate.wgsl?reflect';
import jaxWgsl from '../../shaders/jax.wgsl?raw';
import normalWgsl from '../../shaders/normal.wgsl?raw';
import packWgsl from '../../shaders/pack.wgsl?raw';
import philoxWgsl from '../../shaders/philox.wgsl?raw';
import threefryWgsl from '../../shaders/threefry.wgsl?raw';
import transformsWgsl from '../../shaders/transforms.wgsl?raw';
import xlaMathWgsl from '../../shaders/xla-math.wgsl?raw';
import type { ShaderLayout } from './shader-layout.js';

export interface ShaderModuleSource {
  readonly label: string;
  readonly code: string;
  readonly layout: ShaderLayout;
}

export const generateModule: ShaderModuleSource = {
  label: 'webgpu-weight-init: generate.wgsl',
  code: [philoxWgsl, threefryWgsl, transformsWgsl, normalWgsl, xlaMathWgsl, packWgsl, jaxWgsl, generateWgsl].join('\n'),
  layout: generateLayout,
};

/** The shared function files, for composing test or benchmark kernels around them. */
export const functionSources = {
  philox: philoxWgsl,
  threefry: threefryWgsl,
  transforms: transformsWgsl,
  normal: normalWgsl,
  xlaMath: xlaMathWgsl,
  pack: packWgsl,
  jax: jaxWgsl,
} as const;
