// Module hooks that give tsx what Vite gives the build: `import code from './x.wgsl?raw'` (the text) and
// `import layout from './x.wgsl?reflect'` (the layout reflected by scripts/wgsl-reflect-plugin.ts). The
// sources under src/ use both; scripts run with tsx call registerWgslHooks() before importing them.
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

let registered = false;

export function registerWgslHooks(): void {
  if (registered) return;
  registered = true;
  const plugin = pathToFileURL(new URL('../scripts/wgsl-reflect-plugin.ts', import.meta.url).pathname).href;
  const hooks = `
import { readFile } from 'node:fs/promises';
const QUERY = /^(.*\\.wgsl)\\?(raw|reflect)$/;
export async function resolve(specifier, context, next) {
  const m = QUERY.exec(specifier);
  if (!m) return next(specifier, context);
  return { url: new URL(m[1], context.parentURL).href + '?' + m[2], format: 'module', shortCircuit: true };
}
export async function load(url, context, next) {
  const m = QUERY.exec(url);
  if (!m) return next(url, context);
  const text = await readFile(new URL(m[1]), 'utf8');
  const source = m[2] === 'raw'
    ? 'export default ' + JSON.stringify(text) + ';'
    : 'import { reflectWgsl } from ' + JSON.stringify(${JSON.stringify(plugin)}) + '; export default reflectWgsl(' + JSON.stringify(text) + ');';
  return { format: 'module', source, shortCircuit: true };
}
`;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}
