// scripts/setup.sh with stand-ins for dpkg-query and apt-get on PATH: it waits (bounded) for the
// package manager's lock instead of failing, and gives up with a message once the bound has passed.
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SETUP = join(import.meta.dirname, '../../scripts/setup.sh');
const dirs: string[] = [];

/**
 * A copy of setup.sh in a scratch project whose node_modules is up to date (so npm ci does not run),
 * with a dpkg-query that reports every package missing and an apt-get that fails with apt's lock
 * message `lockedCalls` times, then succeeds; apt-get logs each call's arguments.
 */
async function scratch(lockedCalls: number) {
  const dir = await mkdtemp(join(tmpdir(), 'wwi-setup-'));
  dirs.push(dir);
  await mkdir(join(dir, 'scripts'));
  await mkdir(join(dir, 'bin'));
  await mkdir(join(dir, 'node_modules'));
  await copyFile(SETUP, join(dir, 'scripts/setup.sh'));
  await writeFile(join(dir, 'package-lock.json'), '{}');
  await writeFile(join(dir, 'node_modules/.package-lock.json'), '{}');
  const later = new Date(Date.now() + 60_000);
  await utimes(join(dir, 'node_modules/.package-lock.json'), later, later);
  await writeFile(join(dir, 'bin/dpkg-query'), '#!/bin/sh\necho "unknown ok not-installed"\n');
  await writeFile(
    join(dir, 'bin/apt-get'),
    `#!/bin/sh
n=$(cat "${dir}/calls" 2>/dev/null | wc -l)
echo "$*" >> "${dir}/calls"
if [ "$n" -lt ${lockedCalls} ]; then
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
  echo "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?" >&2
  exit 100
fi
exit 0
`,
  );
  await chmod(join(dir, 'bin/dpkg-query'), 0o755);
  await chmod(join(dir, 'bin/apt-get'), 0o755);
  return dir;
}

async function setup(dir: string, timeout: number) {
  const env = { ...process.env, PATH: `${join(dir, 'bin')}:${process.env['PATH']}`, SETUP_APT_LOCK_POLL: '0.1', SETUP_APT_LOCK_TIMEOUT: String(timeout) };
  try {
    const r = await run('bash', [join(dir, 'scripts/setup.sh')], { env });
    return { code: 0, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stderr: string };
    return { code: err.code, stderr: err.stderr };
  }
}

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('scripts/setup.sh', () => {
  it('retries apt-get while another process holds the lock, then installs', async () => {
    const dir = await scratch(3);
    const r = await setup(dir, 60);
    expect(r.stderr).toContain('another process holds the package manager');
    expect(r.code).toBe(0);
    const calls = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n');
    // three refused calls of `update`, then update and install once each
    expect(calls).toEqual(['update -q', 'update -q', 'update -q', 'update -q', 'install -y -q chromium libvulkan1 jq']);
  });

  it('gives up with a message once the lock has been held longer than the bound', async () => {
    const dir = await scratch(1_000);
    const r = await setup(dir, 1);
    expect(r.code).toBe(100);
    expect(r.stderr).toContain('still held after 1s');
    const calls = (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n');
    expect(calls.length).toBeGreaterThan(1);
    expect(calls.length).toBeLessThan(40);
  });

  it('does not retry a failure that is not the lock', async () => {
    const dir = await scratch(0);
    await writeFile(join(dir, 'bin/apt-get'), `#!/bin/sh\necho "$*" >> "${dir}/calls"\necho "E: Unable to locate package chromium" >&2\nexit 100\n`);
    const r = await setup(dir, 60);
    expect(r.code).toBe(100);
    expect((await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n')).toEqual(['update -q']);
  });
});
