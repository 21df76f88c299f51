/**
 * Layout facts reflected from the WGSL at build time (scripts/wgsl-reflect-plugin.ts, which runs
 * wgsl_reflect over the shader). The host writes uniforms and builds bind-group layouts from these,
 * so no offset or binding number is kept by hand.
 */
export interface StructMemberLayout {
  readonly offset: number;
  readonly size: number;
  readonly scalar: 'u32' | 'i32' | 'f32';
  readonly components: number;
}

export interface StructLayout {
  readonly size: number;
  readonly members: Readonly<Record<string, StructMemberLayout>>;
}

export interface BindingLayout {
  readonly name: string;
  readonly group: number;
  readonly binding: number;
  readonly type: 'uniform' | 'storage' | 'read-only-storage';
  readonly typeName: string;
}

export interface ShaderLayout {
  readonly structs: Readonly<Record<string, StructLayout>>;
  readonly bindings: readonly BindingLayout[];
  /** Compute entry points and the binding numbers (group 0) each one uses, directly or through calls. */
  readonly entryPoints: readonly { readonly name: string; readonly bindings: readonly number[] }[];
}

/** Writes `values` into a fresh ArrayBuffer laid out as `struct`; every member must be given, no more. */
export function packStruct(struct: StructLayout, values: Readonly<Record<string, number | readonly number[]>>, structName = 'struct'): ArrayBuffer {
  const buffer = new ArrayBuffer(struct.size);
  const view = new DataView(buffer);
  for (const name of Object.keys(values)) {
    if (!(name in struct.members)) throw new Error(`${structName}: the shader has no member '${name}'`);
  }
  for (const [name, m] of Object.entries(struct.members)) {
    const v = values[name];
    if (v === undefined) throw new Error(`${structName}: no value given for member '${name}'`);
    const list = typeof v === 'number' ? [v] : v;
    if (list.length !== m.components) {
      throw new Error(`${structName}.${name}: ${list.length} components given, the shader has ${m.components}`);
    }
    list.forEach((x, i) => {
      const at = m.offset + 4 * i;
      if (m.scalar === 'f32') view.setFloat32(at, x, true);
      else if (m.scalar === 'i32') view.setInt32(at, x, true);
      else view.setUint32(at, x, true);
    });
  }
  return buffer;
}
