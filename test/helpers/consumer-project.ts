// A fresh project with the packed library installed from its tarball, as a user gets it: `npm pack` of
// this repository, `npm install --offline` of the tarball into a temporary directory, and links to the
// repository's node_modules for the packages a test needs besides (no registry access).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
export const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface ConsumerProject {
  readonly dir: string;
  /** Links node_modules/NAME to the repository's copy (skipped when already there). */
  link(name: string): Promise<void>;
  remove(): Promise<void>;
}

/** Packs the repository (dist/ must be built) and installs the tarball in a new directory. */
export async function createConsumerProject(prefix: string, links: readonly string[] = []): Promise<ConsumerProject> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const { stdout } = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO });
  const tarball = join(dir, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await exec('npm', ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', '--omit=peer', tarball], { cwd: dir });
  const linked = new Set<string>();
  const link = async (name: string) => {
    if (linked.has(name)) return;
    linked.add(name);
    await mkdir(dirname(join(dir, 'node_modules', name)), { recursive: true });
    await symlink(join(REPO, 'node_modules', name), join(dir, 'node_modules', name), 'dir');
  };
  for (const name of links) await link(name);
  return { dir, link, remove: () => rm(dir, { recursive: true, force: true }) };
}
