// House rule: every WGSL function has a CPU twin of the same name in the mirrored TS module, and host
// layouts come from reflecting the WGSL.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';
import { reflectWgsl } from '../scripts/wgsl-reflect-plugin.js';
import { packStruct } from '../src/gpu/shader-layout.js';
import { generateModule } from '../src/gpu/shader-sources.js';
import * as generateTwin from '../src/twin/generate.js';
import * as jaxTwin from '../src/twin/jax.js';
import * as normalTwin from '../src/twin/normal.js';
import * as orthogonalTwin from '../src/twin/orthogonal.js';
import * as packTwin from '../src/twin/pack.js';
import * as philoxTwin from '../src/twin/philox.js';
import * as threefryTwin from '../src/twin/threefry.js';
import * as transformsTwin from '../src/twin/transforms.js';
import * as xlaMathTwin from '../src/twin/xla-math.js';

const read = (f: string) => readFileSync(new URL(`../shaders/${f}`, import.meta.url), 'utf8');

/**
 * Functions that only map invocations to elements and stored words; their CPU counterpart is the block
 * loop and the typed-array store in generate.ts.
 */
const DISPATCH_PLUMBING = new Set(['blockOffset', 'invocationBlock', 'outsideRange', 'storeBlock', 'storeElement', 'packValue']);

const mirrors: [string, Record<string, unknown>][] = [
  ['philox.wgsl', philoxTwin],
  ['threefry.wgsl', threefryTwin],
  ['xla-math.wgsl', xlaMathTwin],
  ['jax.wgsl', jaxTwin],
  ['transforms.wgsl', transformsTwin],
  ['normal.wgsl', normalTwin],
  ['pack.wgsl', packTwin],
  ['generate.wgsl', generateTwin],
  ['orthogonal.wgsl', orthogonalTwin],
];

describe('CPU twins', () => {
  it.each(mirrors)('every function in shaders/%s has a same-named export in its twin module', (file, twin) => {
    const functions = new WgslReflect(read(file)).functions.map((f) => f.name);
    expect(functions.length).toBeGreaterThan(0);
    const missing = functions.filter((name) => !DISPATCH_PLUMBING.has(name) && typeof twin[name] !== 'function');
    expect(missing).toEqual([]);
  });

  it('the plumbing exemption names only functions that exist', () => {
    const names = new WgslReflect(read('generate.wgsl')).functions.map((f) => f.name);
    for (const n of DISPATCH_PLUMBING) expect(names).toContain(n);
  });
});

describe('layouts reflected from the WGSL', () => {
  it('the built-in layout is what wgsl_reflect reports for generate.wgsl now', () => {
    expect(generateModule.layout).toEqual(reflectWgsl(read('generate.wgsl')));
  });

  it('Params has the members the host writes, with WGSL offsets', () => {
    const params = generateModule.layout.structs['Params']!;
    expect(Object.keys(params.members)).toEqual([
      'key',
      'stream',
      'startBlock',
      'phase',
      'count',
      'outIndex',
      'rowBlocks',
      'blockStride',
      'low',
      'range',
      'mean',
      'stddev',
      'pLow',
      'pWidth',
      'clampLow',
      'clampHigh',
      'stride',
      'sourceIndex',
      'fence',
      'scale',
    ]);
    expect(params.members['key']).toMatchObject({ offset: 0, components: 2, scalar: 'u32' });
    expect(params.members['low']).toMatchObject({ scalar: 'f32', components: 1 });
    expect(generateModule.layout.bindings.map((b) => [b.binding, b.type])).toEqual([
      [0, 'uniform'],
      [1, 'storage'],
      [2, 'read-only-storage'],
    ]);
    expect(generateModule.layout.entryPoints.map((e) => e.name)).toEqual([
      'generateBits',
      'generateUniform',
      'generateNormal',
      'generateTruncatedNormal',
      'fillConstant',
      'scatterConstant',
      'convertF32',
      'jaxBits',
      'jaxUniform',
      'jaxNormal',
      'jaxTruncatedNormal',
    ]);
    expect(generateModule.layout.entryPoints.find((e) => e.name === 'convertF32')!.bindings).toEqual([0, 1, 2]);
    expect(generateModule.layout.entryPoints.find((e) => e.name === 'generateBits')!.bindings).toEqual([0, 1]);
  });

  it('packStruct refuses members the shader lacks and missing members', () => {
    const params = generateModule.layout.structs['Params']!;
    const full = {
      key: [1, 2],
      stream: [3, 4],
      startBlock: [5, 6],
      phase: 1,
      count: 2,
      outIndex: 3,
      rowBlocks: 4,
      blockStride: 4,
      low: 0.5,
      range: 2,
      mean: 0,
      stddev: 1,
      pLow: 0,
      pWidth: 1,
      clampLow: -1,
      clampHigh: 1,
      stride: 0,
      sourceIndex: 0,
      fence: 0,
      scale: 1,
    };
    const view = new DataView(packStruct(params, full));
    expect(view.getUint32(params.members['stream']!.offset + 4, true)).toBe(4);
    expect(view.getFloat32(params.members['low']!.offset, true)).toBe(0.5);
    expect(() => packStruct(params, { ...full, extra: 1 })).toThrow(/no member 'extra'/);
    const { fence: _omit, ...partial } = full;
    expect(() => packStruct(params, partial)).toThrow(/no value given for member 'fence'/);
    expect(() => packStruct(params, { ...full, key: [1] })).toThrow(/1 components given/);
  });
});
