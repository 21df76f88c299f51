// The environment the command line gives the GPU driver, so that a successful call prints only its own output.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onProcessEnd } from './cleanup.js';

/**
 * Gives the Vulkan driver a private, empty XDG_RUNTIME_DIR (mode 0700, removed when the process ends, by a signal too) when none
 * is set. SwiftShader's and Mesa's window-system code looks for a Wayland socket there while Dawn creates its
 * Vulkan instance and prints "error: XDG_RUNTIME_DIR is invalid or not set in the environment." otherwise; in an
 * empty folder it finds no socket and says nothing. The command line never presents to a window, so no socket is
 * needed. Returns the folder created, or undefined when XDG_RUNTIME_DIR was already set.
 */
export function providePrivateRuntimeDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['XDG_RUNTIME_DIR']) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-weight-init-xdg-'));
  env['XDG_RUNTIME_DIR'] = dir;
  onProcessEnd(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
