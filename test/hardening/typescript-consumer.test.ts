// The TypeScript setup README.md documents ("TypeScript"), checked as a user meets it: the packed
// tarball installed in a fresh project (offline; @webgpu/types, @types/node and the compilers come from
// this repository's node_modules), compiled with `strict` and `skipLibCheck: false` by TypeScript 5.9
// (devDependency `typescript`) and by the newest TypeScript (devDependency `typescript-newest`), for a
// Node project (NodeNext) and a browser project (Bundler).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsumerProject, createConsumerProject } from '../helpers/consumer-project.js';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPILERS = {
  '5.9': join(ROOT, 'node_modules/typescript/bin/tsc'),
  newest: join(ROOT, 'node_modules/typescript-newest/bin/tsc'),
} as const;

/** The compiler options README.md tells a user to have (plus noEmit), for each kind of project. */
const PROJECTS = {
  node: { module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], entry: 'webgpu-weight-init/node' },
  browser: { module: 'ESNext', moduleResolution: 'Bundler', types: [] as string[], entry: 'webgpu-weight-init' },
} as const;

const APP = (entry: string) => `import { createContext, initialize, planModel, resolveModel, gpt2, uniform, WeightInitError } from '${entry}';
import { generate } from 'webgpu-weight-init/cpu';

const ctx = await createContext();
const w = await initialize(ctx, { init: { kind: 'kaimingUniform', a: Math.sqrt(5) }, shape: [8, 4], seed: 1n });
const buffer: GPUBuffer = w.buffer;
const device: GPUDevice = ctx.device;
const plan = planModel(resolveModel(gpt2({ n_layer: 1 })), { limits: device.limits });
const same: Float32Array = generate({ seed: 1n, count: 4, dist: uniform(0, 1) });
console.log(buffer.size, plan.parameters, same.length, WeightInitError.name);
`;

let dir: string;

async function tsc(compiler: keyof typeof COMPILERS, project: string): Promise<{ code: number; output: string }> {
  try {
    const r = await exec(process.execPath, [COMPILERS[compiler], '-p', project], { cwd: project });
    return { code: 0, output: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, output: err.stdout + err.stderr };
  }
}

let projects = 0;

async function makeProject(kind: keyof typeof PROJECTS, extra: Record<string, unknown> = {}): Promise<string> {
  const p = PROJECTS[kind];
  const project = join(dir, `${kind}-${++projects}`);
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: `consumer-${kind}`, private: true, type: 'module' }));
  await symlink(join(dir, 'node_modules'), join(project, 'node_modules'), 'dir');
  await writeFile(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        module: p.module,
        moduleResolution: p.moduleResolution,
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: p.types,
        ...extra,
      },
      files: ['app.ts'],
    }),
  );
  await writeFile(join(project, 'app.ts'), APP(p.entry));
  return project;
}

let project: ConsumerProject | undefined;

beforeAll(async () => {
  for (const [name, path] of Object.entries(COMPILERS)) {
    if (!existsSync(path)) throw new Error(`${path} is missing (TypeScript ${name}): run npm ci`);
  }
  project = await createConsumerProject('wwi-ts-consumer-', ['@webgpu/types', '@types/node', 'undici-types']);
  dir = project.dir;
}, 120_000);

afterAll(async () => {
  await project?.remove();
});

describe('a TypeScript project using the packed library', () => {
  it('the tarball was installed from the pack, with its types', async () => {
    const installed = JSON.parse(await readFile(join(dir, 'node_modules/webgpu-weight-init/package.json'), 'utf8'));
    expect(installed.name).toBe('webgpu-weight-init');
    expect(existsSync(join(dir, 'node_modules/webgpu-weight-init/dist/types/index.d.ts'))).toBe(true);
    expect(existsSync(join(dir, 'node_modules/webgpu-weight-init/types/ts5/index.d.ts'))).toBe(true);
  });

  for (const kind of ['node', 'browser'] as const) {
    for (const compiler of ['5.9', 'newest'] as const) {
      it(`${kind} project, TypeScript ${compiler}: the documented setup compiles with strict and skipLibCheck false`, async () => {
        const r = await tsc(compiler, await makeProject(kind));
        expect(r.output).toBe('');
        expect(r.code).toBe(0);
      });
    }
  }

  it('why @webgpu/types is not listed in "types": the newest TypeScript declares WebGPU in its DOM lib too', async () => {
    const r = await tsc('newest', await makeProject('browser', { types: ['@webgpu/types'] }));
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/Duplicate identifier 'GPU/);
  });

  it('why @webgpu/types must be installed for TypeScript 5.9: without it WebGPU names are unknown', async () => {
    const project = await makeProject('browser', { typeRoots: [] });
    await rm(join(dir, 'node_modules/@webgpu/types'));
    try {
      const r = await tsc('5.9', project);
      expect(r.code).not.toBe(0);
      expect(r.output).toMatch(/Cannot find type definition file for '@webgpu\/types'|Cannot find name 'GPUDevice'/);
    } finally {
      await symlink(join(ROOT, 'node_modules/@webgpu/types'), join(dir, 'node_modules/@webgpu/types'), 'dir');
    }
  });
});
