// The one runner for every compute kernel of the library (generate.wgsl, orthogonal.wgsl, the bench's
// kernels): a module compiled once per device, pipelines cached by entry point and override constants,
// bind-group layouts and bind groups built from the bindings reflected from the WGSL by name, and the
// uniform `Params` block packed from the reflected struct layout. No binding number or offset is written by
// hand anywhere else.
import { GPUValidationError } from '../errors.js';
import type { DeviceHandle } from './device-handle.js';
import { BufferUsage, ShaderStage } from './flags.js';
import { packStruct, type BindingLayout, type ShaderLayout, type StructLayout } from './shader-layout.js';

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
      entries: bindings.map((b) => ({ binding: b.binding, visibility: ShaderStage.COMPUTE, buffer: { type: b.type } })),
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
   * Records `dispatches` of `entryPoint` as one compute pass of `encoder`. Call it inside
   * DeviceHandle.scoped. Returns the uniform buffer holding the dispatches' params (if the entry point has
   * one): destroy it once the encoder is submitted or dropped.
   */
  record(encoder: GPUCommandEncoder, pipeline: GPUComputePipeline, entryPoint: string, dispatches: readonly KernelDispatch[]): GPUBuffer | undefined {
    const device = this.handle.device;
    const e = this.entry(entryPoint);
    let uniform: GPUBuffer | undefined;
    let stride = 0;
    if (e.uniform) {
      const { struct, binding } = e.uniform;
      stride = Math.ceil(struct.size / this.uniformAlignment) * this.uniformAlignment;
      const data = new Uint8Array(stride * dispatches.length);
      for (const [i, d] of dispatches.entries()) data.set(new Uint8Array(packStruct(struct, withZeros(struct, d.params), binding.typeName)), i * stride);
      uniform = device.createBuffer({
        label: `${this.source.label}: ${entryPoint} ${binding.name} x${dispatches.length}`,
        size: Math.max(data.byteLength, 16),
        usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
      });
      device.queue.writeBuffer(uniform, 0, data);
    }
    const pass = encoder.beginComputePass({ label: `${this.source.label}: ${entryPoint}` });
    pass.setPipeline(pipeline);
    dispatches.forEach((d, i) => {
      const entries = e.bindings.map((b): GPUBindGroupEntry => {
        if (b === e.uniform?.binding) return { binding: b.binding, resource: { buffer: uniform!, offset: i * stride, size: e.uniform.struct.size } };
        const resource = d.bindings[b.name];
        if (!resource) throw new Error(`${entryPoint}: no buffer given for binding '${b.name}'`);
        return { binding: b.binding, resource };
      });
      pass.setBindGroup(0, device.createBindGroup({ label: `${this.source.label}: ${entryPoint} dispatch ${i}`, layout: e.bindGroup, entries }));
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1] ?? 1, d.workgroups[2] ?? 1);
    });
    pass.end();
    return uniform;
  }
}

const zerosByStruct = new WeakMap<StructLayout, Record<string, number | readonly number[]>>();

/** The given members over a zero for every member of the struct. */
function withZeros(struct: StructLayout, params: ParamValues | undefined): ParamValues {
  let zeros = zerosByStruct.get(struct);
  if (!zeros) {
    zeros = Object.fromEntries(Object.entries(struct.members).map(([name, m]) => [name, m.components === 1 ? 0 : new Array<number>(m.components).fill(0)]));
    zerosByStruct.set(struct, zeros);
  }
  return { ...zeros, ...params };
}
