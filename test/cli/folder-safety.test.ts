// `init --out DIR/` against what a checkpoint folder meets (issue 19's hostile findings): two writers at once, a
// read-only file system, a folder the user may not write, /proc/self/, a full disk, a write that fails midway,
// SIGHUP and two SIGINTs in a row, a SIGKILL and its rerun. Each ends in one line and exit 2 with nothing left
// behind, or in the same folder a single clean run writes. Every test here failed on the code before the lock file,
// the up-front checks and the signal handling (checked: both racers exited 0 into one folder, raw EROFS/EACCES/ENOENT
// and ENOSPC stack traces after the device was created, SIGHUP and the second SIGINT killed the process and left a
// shard and a .partial- file that made the rerun fail).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect, expectOneLine, expectSameFolder, runCli, startCli, until } from '../helpers/cli.js';

let dir: string;
/** About 1.2 MB of bf16 in 6 shards of 200 KB. */
let small: string;
/** About 13 MB of bf16 in 512 KB shards: long enough to interrupt between shards. */
let medium: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wwi-folder-safety-'));
  small = join(dir, 'small.json');
  writeFileSync(
    small,
    JSON.stringify({
      model_type: 'llama',
      hidden_size: 128,
      intermediate_size: 344,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      vocab_size: 1000,
    }),
  );
  medium = join(dir, 'medium.json');
  writeFileSync(
    medium,
    JSON.stringify({ model_type: 'llama', hidden_size: 256, intermediate_size: 688, num_hidden_layers: 6, num_attention_heads: 4, vocab_size: 4000 }),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;
/** Root ignores file permissions; without these capabilities it does not (setpriv drops them for the child). */
const unprivileged = isRoot ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search,-fowner', '--'] : [];
const canDropPrivileges = !isRoot || spawnSync('setpriv', ['--bounding-set=-dac_override', '--', 'true']).status === 0;
/** A private tmpfs (a mount namespace of its own, so nothing outlives the child): needs unshare and mount rights. */
const canMount = (() => {
  const probe = mkdtempSync(join(tmpdir(), 'wwi-mount-probe-'));
  const ok = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs -o size=1m tmpfs '${probe}'`]).status === 0;
  rmSync(probe, { recursive: true, force: true });
  return ok;
})();
/**
 * Runs the CLI on a fresh tmpfs of `size` mounted at $MNT, with $MNT/existing made first; `readOnly` remounts it
 * read-only before the run; afterwards the shell lists what $MNT holds on stdout (the tmpfs goes with the namespace).
 */
const onTmpfs = (size: string, readOnly: boolean) => [
  'unshare',
  '-m',
  'sh',
  '-c',
  `mount -t tmpfs -o size=${size} tmpfs "$MNT" && mkdir "$MNT/existing" ${readOnly ? '&& mount -o remount,ro "$MNT"' : ''} && "$0" "$@"; s=$?; ls -A "$MNT" >&2; exit $s`,
];

const partials = (folder: string) => (existsSync(folder) ? readdirSync(folder).filter((f) => f.includes('.partial-') || f.startsWith('.webgpu')) : []);

describe('two writers into one folder', () => {
  it('seed 1 as one file and seed 2 sharded, started together: one writes its checkpoint, the other is refused in one line', async () => {
    const out = `${join(dir, 'race')}/`;
    const [one, two] = await Promise.all([
      runCli(['init', '--config', small, '--seed', '1', '--out', out, '--quiet']),
      runCli(['init', '--config', small, '--seed', '2', '--out', out, '--max-shard-size', '200KB', '--quiet']),
    ]);
    const results = [one, two];
    expect(results.map((r) => r.code).sort(), `${one.stderr}\n${two.stderr}`).toEqual([0, 2]);
    const winner = results.find((r) => r.code === 0)!;
    const loser = results.find((r) => r.code === 2)!;
    // Refused by the lock while the other writes, or by the finished checkpoint if the other was already done.
    expectOneLine(loser, /folder: .*(is being written by another checkpoint|got ".*model)/);
    const files = JSON.parse(winner.stdout).out.files as string[];
    expect(readdirSync(out).sort()).toEqual([...files].sort());
  });

  it('the same command twice at once: both exit 0 and the folder is the single run’s', async () => {
    const out = `${join(dir, 'twice')}/`;
    const args = ['init', '--config', small, '--seed', '3', '--out', out, '--max-shard-size', '200KB', '--quiet'];
    const results = await Promise.all([runCli(args), runCli(args)]);
    expect(
      results.map((r) => r.code),
      results.map((r) => r.stderr).join('\n'),
    ).toEqual([0, 0]);
    const reference = `${join(dir, 'twice-reference')}/`;
    expect((await runCli(args.map((a) => (a === out ? reference : a)))).code).toBe(0);
    expectSameFolder(out, reference);
  });
});

describe('a folder that cannot take the checkpoint: one line, exit 2, before any device, nothing left', () => {
  it.skipIf(!canMount)('a read-only file system (a private read-only tmpfs; needs unshare and mount rights): an existing folder and a new one', async () => {
    const mnt = mkdtempSync(join(dir, 'ro-'));
    for (const target of ['existing/', 'new/']) {
      const r = await runCli(['init', '--config', small, '--out', join(mnt, target)], { MNT: mnt }, onTmpfs('4m', true));
      const [line, ...left] = r.stderr.trimEnd().split('\n');
      expectOneLine({ ...r, stderr: `${line}\n` }, /folder: .* cannot be (written|created): read-only file system \(EROFS\)/);
      expect(left).toEqual(['existing']);
    }
  });

  it.skipIf(!canDropPrivileges)('a folder the user may not write (mode 555; as root, without the capabilities that override it)', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    const r = await runCli(['init', '--config', small, '--out', `${locked}/`], {}, unprivileged);
    expectOneLine(r, /folder: .*locked\/ cannot be written: permission denied \(EACCES\)/);
    expect(readdirSync(locked)).toEqual([]);
    const nested = await runCli(['init', '--config', small, '--out', `${locked}/sub/`], {}, unprivileged);
    expectOneLine(nested, /folder: .*locked\/sub\/ cannot be created: permission denied \(EACCES\)/);
  });

  it('/proc/self/ is refused without a trace', async () => {
    expectOneLine(await runCli(['init', '--config', small, '--out', '/proc/self/']), /folder: \/proc\/self\/ cannot be written/);
  });

  it.skipIf(!canMount)('a disk without room (a 1 MB tmpfs; needs unshare and mount rights): refused up front, no folder left', async () => {
    const mnt = mkdtempSync(join(dir, 'full-'));
    const r = await runCli(['init', '--config', small, '--out', join(mnt, 'x/'), '--max-shard-size', '200KB'], { MNT: mnt }, onTmpfs('1m', false));
    // stderr: the one line, then what the tmpfs holds afterwards (listed by the shell in the namespace): no x/.
    const [line, ...left] = r.stderr.trimEnd().split('\n');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(line).toMatch(
      /^webgpu-weight-init: folder: .*x\/ cannot take the checkpoint: its file system has \d+ bytes free; expected room for the \d+ bytes left to write$/,
    );
    expect(left).toEqual(['existing']);
  });

  it('a write that fails midway (a file-size limit: EFBIG): one line, the files written and the folder removed', async () => {
    const out = join(dir, 'limited');
    const r = await runCli(['init', '--config', small, '--out', `${out}/`, '--max-shard-size', '200KB', '--quiet'], {}, [
      'sh',
      '-c',
      'ulimit -f 500 && exec "$0" "$@"',
    ]);
    expectOneLine(r, /folder: .*could not be written: file too large \(EFBIG\)/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('signals while writing: the folder is cleaned up and a rerun succeeds', () => {
  /** Starts a write of the medium model and resolves once two shards are complete and a third is being written. */
  async function interruptedWrite(name: string, interrupt: (child: ReturnType<typeof startCli>) => Promise<void>) {
    const out = join(dir, name);
    const args = ['init', '--config', medium, '--dtype', 'bf16', '--seed', '5', '--out', `${out}/`, '--max-shard-size', '512KB', '--quiet'];
    const child = startCli(args);
    const done = collect(child);
    await until(
      () =>
        existsSync(out) &&
        readdirSync(out).filter((f) => /^model-\d+-of-\d+\.safetensors$/.test(f)).length >= 2 &&
        partials(out).some((f) => f.includes('.partial-')),
    );
    await interrupt(child);
    return { out, args, result: await done };
  }

  it.each([
    ['SIGHUP', async (c: ReturnType<typeof startCli>) => void c.kill('SIGHUP')],
    [
      'two SIGINTs 2 ms apart',
      async (c: ReturnType<typeof startCli>) => {
        c.kill('SIGINT');
        await new Promise((r) => setTimeout(r, 2));
        c.kill('SIGINT');
      },
    ],
    ['SIGTERM', async (c: ReturnType<typeof startCli>) => void c.kill('SIGTERM')],
  ])('%s: exit 2 with one line, no shard, temporary file, lock or folder left; the rerun writes the checkpoint', async (label, interrupt) => {
    const { out, args, result } = await interruptedWrite(`signal-${label.replace(/\W/g, '')}`, interrupt);
    expectOneLine(result, /aborted: interrupted \(SIG(HUP|INT|TERM)\)/);
    expect(existsSync(out)).toBe(false);
    const rerun = await runCli(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(partials(out)).toEqual([]);
  });

  it('SIGKILL (no cleanup possible): the same command again resumes, keeps the complete shards and gives the clean run’s folder', async () => {
    const { out, args, result } = await interruptedWrite('killed', async (c) => void c.kill('SIGKILL'));
    expect(result.signal).toBe('SIGKILL');
    expect(partials(out).length).toBeGreaterThan(0); // the lock and a temporary file
    const rerun = await runCli(args);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout).out.kept.length).toBeGreaterThanOrEqual(2);
    // Another checkpoint is refused while the killed one is unfinished… (checked before the rerun above would be too
    // late: it is complete now, so this is the occupied-folder refusal).
    expectOneLine(await runCli([...args.slice(0, 6), '6', ...args.slice(7)]), /folder: got "config\.json, model-00001-of-/);
    const reference = join(dir, 'killed-reference');
    expect((await runCli([...args.slice(0, 8), `${reference}/`, ...args.slice(9)])).code).toBe(0);
    expectSameFolder(out, reference);
  });

  it('SIGKILL, then a different checkpoint into that folder: refused in one line naming the lock', async () => {
    const { args } = await interruptedWrite('killed-other', async (c) => void c.kill('SIGKILL'));
    const other = [...args];
    other[6] = '6'; // another seed
    expectOneLine(await runCli(other), /folder: .* is being written by another checkpoint \(\.webgpu-weight-init\.lock: \{"pid":\d+/);
  });
});
