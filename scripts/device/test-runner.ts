// A small stand-in for vitest, so that the GPU test files run on a machine with Node only (the device
// bundle, scripts/device/): describe / it / test (with .each and .skip), the four hooks, and vitest's own
// `expect` (the Jest matchers of @vitest/expect on chai). The bundler maps the test files' `vitest` import
// to this module. Files are registered one at a time (`runFile`), so each file's top-level hooks apply to
// that file only; tests run one after another, each with a timeout, and every failure is kept with its
// message.

import { JestAsymmetricMatchers, JestChaiExpect, JestExtend } from '@vitest/expect';
import * as chai from 'chai';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

type Body = () => unknown;
type Hook = () => unknown;

interface Suite {
  readonly name: string;
  readonly items: (Suite | TestCase)[];
  readonly beforeAll: Hook[];
  readonly afterAll: Hook[];
  readonly beforeEach: Hook[];
  readonly afterEach: Hook[];
}

interface TestCase {
  readonly name: string;
  readonly body: Body | undefined;
  readonly timeoutMs: number;
  readonly skip: boolean;
}

export interface TestFailure {
  readonly name: string;
  readonly message: string;
}

export interface TestSummary {
  passed: number;
  failed: number;
  skipped: number;
  failures: TestFailure[];
  /** Per test: full name and milliseconds. */
  durations: { name: string; ms: number; ok: boolean }[];
}

/** The node project's testTimeout in vite.config.ts. */
const DEFAULT_TIMEOUT_MS = 120_000;

const newSuite = (name: string): Suite => ({ name, items: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] });

let current: Suite = newSuite('');

/** printf-style test names of .each: %s %d %i %f %j %o %%. */
function formatName(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%[sdifjo%]/g, (m) => {
    if (m === '%%') return '%';
    const v = args[i++];
    if (m === '%d' || m === '%i') return String(Math.trunc(Number(v)));
    if (m === '%f') return String(Number(v));
    if (m === '%j' || m === '%o') return JSON.stringify(v);
    return typeof v === 'string' ? v : String(v);
  });
}

function addTest(name: string, body: Body | undefined, timeout: number | undefined, skip: boolean): void {
  current.items.push({ name, body, timeoutMs: timeout ?? DEFAULT_TIMEOUT_MS, skip });
}

function addSuite(name: string, body: () => void): void {
  const parent = current;
  const suite = newSuite(name);
  parent.items.push(suite);
  current = suite;
  try {
    body();
  } finally {
    current = parent;
  }
}

function each<A extends unknown[]>(register: (name: string, fn: () => unknown) => void) {
  return (table: readonly unknown[]) => (template: string, fn: (...args: A) => unknown, timeout?: number) => {
    for (const row of table) {
      const args = (Array.isArray(row) ? row : [row]) as A;
      register(formatName(template, args), () => fn(...args));
    }
    void timeout;
  };
}

type TestFn = ((name: string, body?: Body, timeout?: number) => void) & {
  each: (table: readonly unknown[]) => (template: string, fn: (...args: never[]) => unknown, timeout?: number) => void;
  skip: (name: string, body?: Body, timeout?: number) => void;
};

export const it: TestFn = Object.assign((name: string, body?: Body, timeout?: number) => addTest(name, body, timeout, body === undefined), {
  each: (table: readonly unknown[]) => (template: string, fn: (...args: never[]) => unknown, timeout?: number) =>
    each((name, f) => addTest(name, f, timeout, false))(table)(template, fn as (...args: unknown[]) => unknown, timeout),
  skip: (name: string, body?: Body, timeout?: number) => addTest(name, body, timeout, true),
});
export const test = it;

export const describe = Object.assign((name: string, body: () => void) => addSuite(name, body), {
  each: (table: readonly unknown[]) => (template: string, fn: (...args: never[]) => void) =>
    each((name, f) => addSuite(name, f as () => void))(table)(template, fn as (...args: unknown[]) => unknown),
});

export const beforeAll = (fn: Hook): void => void current.beforeAll.push(fn);
export const afterAll = (fn: Hook): void => void current.afterAll.push(fn);
export const beforeEach = (fn: Hook): void => void current.beforeEach.push(fn);
export const afterEach = (fn: Hook): void => void current.afterEach.push(fn);

/** vitest's expect: chai's, with the Jest matchers installed above. */
export const expect = chai.expect as unknown as typeof import('vitest').expect;

function messageOf(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

async function withTimeout(body: () => unknown, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(body),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every test below `suite`, for counting the tests a failed beforeAll takes down. */
function countTests(suite: Suite): number {
  return suite.items.reduce((n, item) => n + ('items' in item ? countTests(item) : 1), 0);
}

async function runSuite(
  suite: Suite,
  path: string[],
  each: { before: Hook[]; after: Hook[] },
  summary: TestSummary,
  log: (line: string) => void,
): Promise<void> {
  const fullPath = suite.name ? [...path, suite.name] : path;
  const title = fullPath.join(' > ');
  try {
    for (const hook of suite.beforeAll) await withTimeout(hook, DEFAULT_TIMEOUT_MS, `${title}: beforeAll`);
  } catch (e) {
    const n = countTests(suite);
    summary.failed += n;
    summary.failures.push({ name: `${title} (beforeAll; ${n} tests not run)`, message: messageOf(e) });
    log(`FAIL ${title}: beforeAll: ${messageOf(e)}`);
    return;
  }
  const before = [...each.before, ...suite.beforeEach];
  const after = [...suite.afterEach, ...each.after];
  for (const item of suite.items) {
    if ('items' in item) {
      await runSuite(item, fullPath, { before, after }, summary, log);
      continue;
    }
    const name = [...fullPath, item.name].join(' > ');
    if (item.skip || !item.body) {
      summary.skipped++;
      log(`skip ${name}`);
      continue;
    }
    const t0 = performance.now();
    let failure: unknown;
    try {
      for (const hook of before) await hook();
      await withTimeout(item.body, item.timeoutMs, name);
    } catch (e) {
      failure = e;
    }
    try {
      for (const hook of after) await hook();
    } catch (e) {
      failure ??= e;
    }
    const ms = performance.now() - t0;
    summary.durations.push({ name, ms: Math.round(ms), ok: failure === undefined });
    if (failure === undefined) {
      summary.passed++;
      log(`ok   ${name} (${ms.toFixed(0)} ms)`);
    } else {
      summary.failed++;
      summary.failures.push({ name, message: messageOf(failure) });
      log(`FAIL ${name}: ${messageOf(failure)}`);
    }
  }
  for (const hook of suite.afterAll) {
    try {
      await withTimeout(hook, DEFAULT_TIMEOUT_MS, `${title}: afterAll`);
    } catch (e) {
      summary.failed++;
      summary.failures.push({ name: `${title} (afterAll)`, message: messageOf(e) });
    }
  }
}

export function emptySummary(): TestSummary {
  return { passed: 0, failed: 0, skipped: 0, failures: [], durations: [] };
}

/**
 * Registers the tests of one file (`load` imports it; its describe/it calls land in a fresh root suite
 * named `name`) and runs them into `summary`. A file that fails to load counts as one failed test.
 */
export async function runFile(name: string, load: () => Promise<unknown>, summary: TestSummary, log: (line: string) => void): Promise<void> {
  const root = newSuite(name);
  current = root;
  try {
    await load();
  } catch (e) {
    summary.failed++;
    summary.failures.push({ name: `${name} (load)`, message: messageOf(e) });
    log(`FAIL ${name}: could not load: ${messageOf(e)}`);
    return;
  } finally {
    current = newSuite('');
  }
  await runSuite(root, [], { before: [], after: [] }, summary, log);
}
