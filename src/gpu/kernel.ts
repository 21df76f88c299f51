// The one runner for every compute kernel of the library (generate.wgsl, orthogonal.wgsl, the bench's
// kernels): a module compiled once per device, pipelines cached by entry point and override constants,
// bind-group layouts and bind groups built from the bindings reflected from the WGSL by name, and the
// uniform `Params` block packed from the reflected struct layout. No binding number or offset is written by
// hand anywhere else.
import { GPUValidationError } from '../errors.js';
import type { DeviceHandle } from './device-handle.js';
import { BufferUsage, ShaderStage } from './flags.js';
import { type BindingLayout, packStruct, type ShaderLayout, type StructLayout } from './shader-layout.js';

/** WGSL source with its reflected layout (src/gpu/shader-sources.ts). */
export interface KernelSource {
  readonly label: string;
  readonly code: string;
  readonly layout: ShaderLayout;
}

export type ParamValues = Readonly<Record<string, number | readonly number[]>>;

/** One dispatch of an entry point. */
export interface KernelDispatch {
  /** Members of the entry point's uniform struct; members not given are 0. */
  readonly params?: ParamValues;
  /** Storage buffers by their WGSL variable names. */
  readonly bindings: Readonly<Record<string, GPUBufferBinding>>;
  /** Workgroups in x, y and z. */
  readonly workgroups: readonly [number, number?, number?];
}

interface EntryLayout {
  readonly bindings: readonly BindingLayout[];
  readonly uniform: { readonly binding: BindingLayout; readonly struct: StructLayout } | undefined;
  readonly bindGroup: GPUBindGroupLayout;
  readonly pipeline: GPUPipelineLayout;
}

export class KernelRunner {
  readonly source: KernelSource;
  private readonly handle: DeviceHandle;
  private readonly module: GPUShaderModule;
  private readonly entries = new Map<string, EntryLayout>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly uniformAlignment: number;

  constructor(handle: DeviceHandle, source: KernelSource) {
    this.handle = handle;
    this.source = source;
    const device = handle.device;
    this.uniformAlignment = device.limits.minUniformBufferOffsetAlignment;
    this.module = device.createShaderModule({ label: source.label, code: source.code });
  }

  /** Rejects with GPUValidationError listing the WGSL compiler's errors, if there are any. */
  async checkCompilation(): Promise<void> {
    const info = await this.module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      throw new GPUValidationError(`${this.source.label} failed to compile: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; ')}`);
    }
  }

  private entry(entryPoint: string): EntryLayout {
    let e = this.entries.get(entryPoint);
    if (e) return e;
    const { layout, label } = this.source;
    const reflected = layout.entryPoints.find((x) => x.name === entryPoint);
    if (!reflected) throw new Error(`${label} has no entry point ${entryPoint}`);
    const bindings = reflected.bindings.map((n) => {
      const b = layout.bindings.find((x) => x.group === 0 && x.binding === n);
      if (!b) throw new Error(`${label}: binding ${n} of ${entryPoint} is not reflected`);
      return b;
    });
    const u = bindings.find((b) => b.type === 'uniform');
    const struct = u ? layout.structs[u.typeName] : undefined;
    if (u && !struct) throw new Error(`${label}: struct ${u.typeName} of ${u.name} is not reflected`);
    const device = this.handle.device;
    const bindGroup = device.createBindGroupLayout({
      label: `${label}: ${entryPoint} bind group layout`,
      // The uniform block is a slot of a buffer shared by many dispatches, chosen by a dynamic offset.
      entries: bindings.map((b) => ({ binding: b.binding, visibility: ShaderStage.COMPUTE, buffer: { type: b.type, hasDynamicOffset: b.type === 'uniform' } })),
    });
    const pipeline = device.createPipelineLayout({ label: `${label}: ${entryPoint} pipeline layout`, bindGroupLayouts: [bindGroup] });
    e = { bindings, uniform: u && struct ? { binding: u, struct } : undefined, bindGroup, pipeline };
    this.entries.set(entryPoint, e);
    return e;
  }

  /** The compute pipeline of an entry point with these override constants, compiled once per runner. */
  pipeline(entryPoint: string, constants: Readonly<Record<string, number>> = {}): Promise<GPUComputePipeline> {
    const names = Object.keys(constants).sort();
    const key = `${entryPoint}|${names.map((n) => `${n}=${constants[n]}`).join('|')}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const layout = this.entry(entryPoint).pipeline;
      p = this.handle.guard(
        `pipeline ${key}`,
        this.handle.device.createComputePipelineAsync({
          label: `${this.source.label}: ${key}`,
          layout,
          compute: { module: this.module, entryPoint, constants: { ...constants } },
        }),
      );
      p.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * The parameter sets of `entryPoint`'s uniform struct packed into consecutive slots (aligned for dynamic
   * offsets): write `data` into a UNIFORM buffer and pass slot i to dispatch(). Undefined when the entry
   * point has no uniform block. Entry points with the same struct share the slots.
   */
  packParams(entryPoint: string, sets: readonly (ParamValues | undefined)[]): { data: Uint8Array<ArrayBuffer>; slots: number } | undefined {
    const u = this.entry(entryPoint).uniform;
    if (!u) return undefined;
    const stride = this.stride(u.struct);
    const data = new Uint8Array(Math.max(stride * sets.length, 16));
    for (const [i, values] of sets.entries()) data.set(new Uint8Array(packStruct(u.struct, withZeros(u.struct, values), u.binding.typeName)), i * stride);
    return { data, slots: sets.length };
  }

  /**
   * A bind group of `entryPoint`: `uniform` (the slots of packParams) for its uniform block, and for each
   * storage binding the buffer named like the WGSL variable in `buffers` (names it does not use are ignored).
   */
  bindGroup(entryPoint: string, uniform: GPUBuffer | undefined, buffers: Readonly<Record<string, GPUBufferBinding>>, label = entryPoint): GPUBindGroup {
    const e = this.entry(entryPoint);
    const entries = e.bindings.map((b): GPUBindGroupEntry => {
      if (b === e.uniform?.binding) {
        if (!uniform) throw new Error(`${entryPoint}: no buffer given for the uniform block '${b.name}'`);
        return { binding: b.binding, resource: { buffer: uniform, offset: 0, size: e.uniform.struct.size } };
      }
      const resource = buffers[b.name];
      if (!resource) throw new Error(`${entryPoint}: no buffer given for binding '${b.name}'`);
      return { binding: b.binding, resource };
    });
    return this.handle.device.createBindGroup({ label: `${this.source.label}: ${label}`, layout: e.bindGroup, entries });
  }

  /** One dispatch in `pass`: the pipeline, the bind group with parameter slot `slot`, the workgroups. */
  dispatch(
    pass: GPUComputePassEncoder,
    entryPoint: string,
    pipeline: GPUComputePipeline,
    bindGroup: GPUBindGroup,
    slot: number,
    workgroups: readonly [number, number?, number?],
  ): void {
    const u = this.entry(entryPoint).uniform;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup, u ? [slot * this.stride(u.struct)] : []);
    pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
  }

  private stride(struct: StructLayout): number {
    return Math.ceil(struct.size / this.uniformAlignment) * this.uniformAlignment;
  }

  /**
   * Records `dispatches` of `entryPoint` as one compute pass of `encoder`. Call it inside
   * DeviceHandle.scoped. Returns the uniform buffer holding the dispatches' params (if the entry point has
   * one): destroy it once the encoder is submitted or dropped.
   */
  record(encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, entryPoint: string, dispatches: readonly KernelDispatch[]): GPUBuffer | undefined {
    const device = this.handle.device;
    const packed = this.packParams(
      entryPoint,
      dispatches.map((d) => d.params),
    );
    let uniform: GPUBuffer | undefined;
    if (packed) {
      uniform = device.createBuffer({
        label: `${this.source.label}: ${entryPoint} params x${dispatches.length}`,
        size: packed.data.byteLength,
        usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(uniform, 0, packed.data);
    }
    const pass = encoder.beginComputePass({ label: `${this.source.label}: ${entryPoint}` });
    for (const [i, d] of dispatches.entries()) {
      const group = this.bindGroup(entryPoint, uniform, d.bindings, `${entryPoint} dispatch ${i}`);
      this.dispatch(pass, entryPoint, pipeline, group, i, d.workgroups);
    }
    pass.end();
    return uniform;
  }
}

/** The given members over a zero for every member of the struct. */
function withZeros(struct: StructLayout, params: ParamValues | undefined): ParamValues {
  const zeros = Object.fromEntries(Object.entries(struct.members).map(([name, m]) => [name, m.components === 1 ? 0 : new Array<number>(m.components).fill(0)]));
  return { ...zeros, ...params };
}
