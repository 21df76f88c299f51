// The real binary against hostile paths and failures (issue 11): output files that are not ours are never
// replaced, temporary files never outlive a failure or a signal, input files that are not regular files fail at
// once, and the driver's harmless noise never reaches the terminal.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GPU_DEVICE_NODES, hasGpuDeviceNode } from '../../src/node-drivers.js';

const bin = fileURLToPath(new URL('../../bin/webgpu-weight-init.js', import.meta.url));
const isRoot = process.getuid?.() === 0;

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user without XDG_RUNTIME_DIR (a shell in a container, cron, ssh without a session). */
function bareEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['XDG_RUNTIME_DIR'];
  // The CLI's private runtime folder goes under TMPDIR: the test's own folder, so leftovers show.
  env['TMPDIR'] = dir;
  return env;
}

const runtimeDirs = () => readdirSync(dir).filter((f) => f.startsWith('webgpu-weight-init-xdg-'));

/** Runs the binary; `shell` prefixes a POSIX shell command (e.g. a ulimit) to the node call. */
function run(args: string[], options: { timeoutMs?: number; shell?: string } = {}): Promise<Result> {
  const quoted = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = options.shell
    ? spawn('/bin/sh', ['-c', `${options.shell}; exec ${quoted}`], { env: bareEnv() })
    : spawn(process.execPath, [bin, ...args], { env: bareEnv() });
  return collect(child, options.timeoutMs ?? 60_000);
}

function collect(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Exit 2, nothing on stdout, and exactly one line on stderr matching `message` (no stack, no driver noise). */
function expectOneLine(r: Result, message: RegExp): void {
  expect(r.signal, 'killed by the test timeout?').toBeNull();
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^webgpu-weight-init: /);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
}

let dir: string;
const partials = () =>
  readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.includes('.partial-'));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wwi-untrusted-'));
  writeFileSync(join(dir, 'rules.json'), JSON.stringify([{ match: '*', init: { kind: 'zeros' } }]));
  writeFileSync(join(dir, 'regular.safetensors'), 'not ours');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('init --out never replaces what is not a regular file, and checks before any GPU work', () => {
  // Without --quiet the progress bar would show on stderr had any tensor been initialized.
  const init = (out: string, ...more: string[]) => run(['init', '--preset', 'resnet18', '--out', out, ...more]);

  it('a FIFO is refused and stays a FIFO', async () => {
    const fifo = join(dir, 'out.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expectOneLine(await init(fifo), /option '--out': .*out\.fifo is a FIFO/);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it.skipIf(!isRoot)('a character device (a copy of /dev/null made with mknod; needs root) is refused and stays a device', async () => {
    const dev = join(dir, 'null-copy');
    expect(spawnSync('mknod', [dev, 'c', '1', '3']).status).toBe(0);
    expectOneLine(await init(dev), /option '--out': .*null-copy is a character device/);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
  });

  it('/dev/full and /dev/null are refused without being touched', async () => {
    expectOneLine(await init('/dev/full'), /\/dev\/full is a character device/);
    expectOneLine(await init('/dev/null'), /\/dev\/null is a character device/);
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('a symbolic link is refused (documented: give the target) and stays a link', async () => {
    const link = join(dir, 'link.safetensors');
    symlinkSync(join(dir, 'regular.safetensors'), link);
    expectOneLine(await init(link), /link\.safetensors is a symbolic link/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  // An existing folder is a checkpoint folder target (init --out DIR/, docs/models.md), not a file to replace.
  it('a missing folder and /proc/version are refused in one line', async () => {
    expectOneLine(await init(join(dir, 'missing', 'm.safetensors')), /its folder does not exist/);
    if (existsSync('/proc/version')) expectOneLine(await init('/proc/version'), /\/proc\/version cannot be created/);
    expect(partials()).toEqual([]);
  });

  it('a write that fails midway (a file-size limit: EFBIG) is one line, and the temporary file is removed', async () => {
    const out = join(dir, 'limited.safetensors');
    const r = await run(['init', '--preset', 'resnet18', '--out', out, '--quiet'], { shell: 'ulimit -f 1024' });
    expectOneLine(r, /could not be written: file too large \(EFBIG\)/);
    expect(existsSync(out)).toBe(false);
    expect(partials()).toEqual([]);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s while writing removes the temporary file and exits by that signal',
    async (signal) => {
      const out = join(dir, `${signal}.safetensors`);
      const child = spawn(process.execPath, [bin, 'init', '--preset', 'gpt2', '--quiet', '--out', out], { env: bareEnv() });
      const done = collect(child, 120_000);
      // The temporary file exists from before the first tensor: wait for it, then interrupt.
      const t0 = Date.now();
      while (partials().length === 0 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 20));
      expect(partials()).toHaveLength(1);
      child.kill(signal);
      const r = await done;
      expect(r.signal).toBe(signal);
      expect(partials()).toEqual([]);
      expect(runtimeDirs(), 'the private XDG_RUNTIME_DIR is removed on the signal too').toEqual([]);
      expect(existsSync(out)).toBe(false);
    },
    180_000,
  );

  it('a regular file is replaced only when the new file is complete', async () => {
    const out = join(dir, 'regular.safetensors');
    const r = await run(['init', '--preset', 'resnet18', '--dtype', 'bf16', '--out', out, '--quiet']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).out.bytes).toBe(lstatSync(out).size);
    expect(partials()).toEqual([]);
  });
});

describe('input files: only regular files, read with a cap', () => {
  it('--spec and --from on a FIFO fail at once instead of waiting for a writer', async () => {
    const fifo = join(dir, 'in.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expectOneLine(await run(['init', '--spec', fifo], { timeoutMs: 20_000 }), /option '--spec': .*in\.fifo is a FIFO/);
    expectOneLine(await run(['init', '--from', fifo, '--rules', join(dir, 'rules.json')], { timeoutMs: 20_000 }), /option '--from': .*in\.fifo is a FIFO/);
  });

  it('--spec /dev/urandom is refused without reading it', async () => {
    expectOneLine(await run(['init', '--spec', '/dev/urandom'], { timeoutMs: 20_000 }), /\/dev\/urandom is a character device/);
  });

  it('--from a folder or a missing file: one line, no stack trace', async () => {
    const rules = join(dir, 'rules.json');
    expectOneLine(await run(['init', '--from', dir, '--rules', rules]), /option '--from': .* is a folder/);
    expectOneLine(await run(['init', '--from', join(dir, 'missing.safetensors'), '--rules', rules]), /option '--from': .*no such file/);
  });

  it('a JSON file larger than 64 MiB is refused by its size', async () => {
    const big = join(dir, 'big.json');
    writeFileSync(big, Buffer.alloc((64 << 20) + 1, 0x20));
    expectOneLine(await run(['init', '--spec', big]), /larger than 67108864 bytes/);
  });
});

describe('no driver noise: a successful call prints only its own output; a bad option only its line', () => {
  it.each([
    [['info']],
    [['sample', '--count', '3']],
    [['sample', '--init', 'orthogonal', '--shape', '8,8', '--count', '4', '--strategy', 'kernel']],
    [['init', '--preset', 'resnet18', '--quiet']],
  ])('%j: empty stderr without XDG_RUNTIME_DIR', async (args) => {
    const r = await run(args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    expect(runtimeDirs()).toEqual([]);
  });

  it.runIf(process.platform === 'linux')('Dawn probes the system drivers only where a GPU device node exists (else SwiftShader at once)', () => {
    expect(hasGpuDeviceNode([join(dir, 'no-such-node')])).toBe(false);
    expect(hasGpuDeviceNode([join(dir, 'no-such-node'), dir])).toBe(true);
    expect(hasGpuDeviceNode()).toBe(GPU_DEVICE_NODES.some((p) => existsSync(p)));
  });

  it.each([
    [['sample', '--dist', 'normal', '--std', '-1'], /dist\.std/],
    [['sample', '--low', '1', '--high', '0'], /dist\.high/],
    [['sample', '--start', '18446744073709551615', '--count', '2'], /count/],
    [['sample', '--init', 'normal', '--shape', '4,4', '--std', '-1'], /init\.std/],
    [['sample', '--init', 'zeros', '--shape', '4,4', '--start', '10', '--count', '7'], /count/],
  ])('%j: the one-line message and nothing else', async (args, message) => {
    expectOneLine(await run(args), message);
  });

  it('an f16 overflow prints as "Infinity", not null', async () => {
    const r = await run(['sample', '--backend', 'cpu', '--dtype', 'f16', '--low', '0', '--high', '1000000', '--count', '16']);
    expect(r.code).toBe(0);
    const values = JSON.parse(r.stdout).values as unknown[];
    expect(values).not.toContain(null);
    expect(values).toContain('Infinity');
  });
});
