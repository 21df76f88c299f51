// The fenced code blocks of README.md and docs/*.md, as the snippet tests run them.
//
// Every block whose info string starts with ts, js, sh or python is a snippet and runs: ts/js in Node, or
// in headless Chromium when the info string says `browser`; sh in bash; python in python3. The only way out
// is an explicit marker with its reason, `no-run: REASON`, for what cannot run here (it installs from the
// registry, or runs the whole suite). Other info strings (json, jsonc, text, none) are not code to run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const SNIPPET_LANGUAGES = ['ts', 'js', 'sh', 'python'] as const;
export type SnippetLanguage = (typeof SNIPPET_LANGUAGES)[number];

export interface Snippet {
  /** Path relative to the repository, e.g. docs/engines.md. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly language: SnippetLanguage;
  /** Where it runs. */
  readonly runtime: 'node' | 'browser' | 'bash' | 'python';
  /** The reason given with `no-run:`, if any. */
  readonly noRun: string | undefined;
  readonly code: string;
  /** file:line, for test names and messages. */
  readonly where: string;
}

/** README.md and every docs/*.md. */
export function documentationFiles(): string[] {
  return [
    'README.md',
    ...readdirSync(join(ROOT, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
}

/** Every fenced block of `markdown` with its info string (indented fences inside lists included). */
export function fencedBlocks(markdown: string): { line: number; info: string; code: string }[] {
  const lines = markdown.split('\n');
  const blocks: { line: number; info: string; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim().startsWith(fence!) && l.trim().replace(/[`~]/g, '') === '') break;
      body.push(l.startsWith(indent!) ? l.slice(indent!.length) : l.trimStart());
    }
    blocks.push({ line: i + 1, info: info!.trim(), code: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** The snippets of one documentation file; throws on a `no-run` without a reason. */
export function snippetsOf(file: string): Snippet[] {
  const out: Snippet[] = [];
  for (const b of fencedBlocks(readFileSync(join(ROOT, file), 'utf8'))) {
    const [language, ...rest] = b.info.split(/\s+/);
    if (!(SNIPPET_LANGUAGES as readonly string[]).includes(language ?? '')) continue;
    const attributes = rest.join(' ');
    const noRun = /\bno-run:(.*)$/.exec(attributes);
    if (/\bno-run\b/.test(attributes) && !noRun?.[1]?.trim()) throw new Error(`${file}:${b.line}: 'no-run' needs a reason: no-run: REASON`);
    const lang = language as SnippetLanguage;
    const browser = /(^|\s)browser(\s|$)/.test(attributes);
    out.push({
      file,
      line: b.line,
      language: lang,
      runtime: lang === 'sh' ? 'bash' : lang === 'python' ? 'python' : browser ? 'browser' : 'node',
      noRun: noRun?.[1]?.trim(),
      code: b.code,
      where: `${file}:${b.line}`,
    });
  }
  return out;
}

export function allSnippets(): Snippet[] {
  return documentationFiles().flatMap(snippetsOf);
}
