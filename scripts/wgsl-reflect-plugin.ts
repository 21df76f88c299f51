// Vite plugin: `import layout from './x.wgsl?reflect'` yields the ShaderLayout (src/gpu/shader-layout.ts)
// of that WGSL file, computed with wgsl_reflect when the module is built. Used by the library build and by
// vitest, so host offsets always come from the shader text.
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'vite';
// wgsl_reflect's "main" is a CommonJS file inside a "type": "module" package, so Node cannot load it;
// its ES module build is imported directly (types: scripts/wgsl-reflect-module.d.ts).
import { WgslReflect } from 'wgsl_reflect/wgsl_reflect.module.js';

const SUFFIX = '?reflect';

interface ReflectedType {
  name: string;
  format?: ReflectedType | null;
  size: number;
}

function scalarOf(t: ReflectedType): { scalar: string; components: number } {
  const vec = /^vec([234])$/.exec(t.name);
  if (vec && t.format) return { scalar: t.format.name, components: Number(vec[1]) };
  const sized = /^vec([234])([uif])$/.exec(t.name);
  if (sized) return { scalar: `${sized[2]}32`, components: Number(sized[1]) };
  return { scalar: t.name, components: 1 };
}

export function reflectWgsl(code: string) {
  const r = new WgslReflect(code);
  const structs: Record<string, unknown> = {};
  for (const s of r.structs) {
    const members: Record<string, unknown> = {};
    for (const m of s.members) {
      const { scalar, components } = scalarOf(m.type as unknown as ReflectedType);
      if (!['u32', 'i32', 'f32'].includes(scalar)) {
        throw new Error(`wgsl-reflect: ${s.name}.${m.name} has type ${m.type.name}; only 32-bit scalars and vectors are supported`);
      }
      members[m.name] = { offset: m.offset, size: m.size, scalar, components };
    }
    structs[s.name] = { size: s.size, members };
  }
  const bindings = [
    ...r.uniforms.map((u) => ({ name: u.name, group: u.group, binding: u.binding, type: 'uniform', typeName: u.type.name })),
    ...r.storage.map((u) => ({
      name: u.name,
      group: u.group,
      binding: u.binding,
      type: u.access === 'read' ? 'read-only-storage' : 'storage',
      typeName: u.type.name,
    })),
  ].sort((a, b) => a.group - b.group || a.binding - b.binding);
  const entryPoints = r.entry.compute.map((e) => ({
    name: e.name,
    bindings: [...new Set(e.resources.map((u) => u.binding))].sort((x, y) => x - y),
  }));
  return { structs, bindings, entryPoints };
}

export function wgslReflectPlugin(): Plugin {
  return {
    name: 'wgsl-reflect',
    enforce: 'pre',
    async load(id) {
      if (!id.endsWith(SUFFIX)) return null;
      const file = id.slice(0, -SUFFIX.length);
      this.addWatchFile(file);
      const layout = reflectWgsl(await readFile(file, 'utf8'));
      return `export default ${JSON.stringify(layout)};`;
    },
  };
}
