// The built command line run as a child process, as a user or a job runner runs it: its exit, its streams, and the
// files a checkpoint folder holds afterwards.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const BIN = fileURLToPath(new URL('../../bin/webgpu-weight-init.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI with `args`; `env` is added to this process's environment (a value of undefined removes it). */
export function startCli(args: readonly string[], env: Readonly<Record<string, string | undefined>> = {}, prefix: readonly string[] = []): ChildProcess {
  const full: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete full[k];
    else full[k] = v;
  }
  const [command, ...rest] = [...prefix, process.execPath, BIN, ...args];
  return spawn(command!, rest, { env: full, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Waits for a started CLI (killed after `timeoutMs`). */
export function collect(child: ChildProcess, timeoutMs = 120_000): Promise<CliResult> {
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

export const runCli = (args: readonly string[], env: Readonly<Record<string, string | undefined>> = {}, prefix: readonly string[] = []) =>
  collect(startCli(args, env, prefix));

/** Exit 2, nothing on stdout, and exactly one line on stderr matching `message` (no stack, no driver noise). */
export function expectOneLine(r: CliResult, message: RegExp): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^webgpu-weight-init: /);
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
}

/** Every file of a folder (hidden ones included) with its bytes, sorted by name. */
export function folderBytes(dir: string): [string, Buffer][] {
  return readdirSync(dir)
    .sort()
    .map((f) => [f, readFileSync(join(dir, f))]);
}

/** Asserts that two folders hold the same file names with the same bytes. */
export function expectSameFolder(got: string, want: string): void {
  const a = folderBytes(got);
  const b = folderBytes(want);
  expect(
    a.map(([f]) => f),
    got,
  ).toEqual(b.map(([f]) => f));
  for (const [i, [f, bytes]] of a.entries()) expect(bytes.equals(b[i]![1]), `${got}/${f}`).toBe(true);
}

/** Resolves once `predicate` holds (checked every 5 ms), or rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!predicate()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}
