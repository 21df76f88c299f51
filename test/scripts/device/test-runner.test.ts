// The vitest stand-in of the device bundle (scripts/device/test-runner.ts): counts, failures with their
// messages, hooks scoped to their file and suite, .each names, skips, and a failing beforeAll.
import { describe, expect, it } from 'vitest';
import * as shim from '../../../scripts/device/test-runner.js';

describe('device test runner', () => {
  it('runs a file: passes, failures with messages, skips, .each names and hooks in order', async () => {
    const order: string[] = [];
    const summary = shim.emptySummary();
    await shim.runFile(
      'a.test.ts',
      async () => {
        shim.beforeAll(() => void order.push('beforeAll'));
        shim.afterAll(() => void order.push('afterAll'));
        shim.beforeEach(() => void order.push('beforeEach'));
        shim.describe('math', () => {
          shim.afterEach(() => void order.push('afterEach inner'));
          shim.it('adds', () => {
            order.push('adds');
            shim.expect(1 + 1).toBe(2);
          });
          shim.it('compares deeply', async () => shim.expect({ a: [1, 2] }).toEqual({ a: [1, 3] }));
          // Not a skipped test of ours: the stand-in's own it.skip, whose count the assertions below check.
          shim.it.skip('later', () => undefined);
        });
        shim.describe.each([
          ['f16', 2],
          ['bf16', 2],
        ])('%s', (name, bytes) => {
          shim.it.each([1, 2])(`${String(name)} %i`, (n) => shim.expect(Number(n) * Number(bytes)).toBeGreaterThan(0));
        });
      },
      summary,
      () => undefined,
    );
    expect(summary).toMatchObject({ passed: 5, failed: 1, skipped: 1 });
    expect(summary.failures).toHaveLength(1);
    expect(summary.failures[0]!.name).toBe('a.test.ts > math > compares deeply');
    expect(summary.failures[0]!.message).toMatch(/expected .* to deeply equal/);
    expect(summary.durations.map((d) => d.name)).toContain('a.test.ts > bf16 > bf16 2');
    expect(order.slice(0, 4)).toEqual(['beforeAll', 'beforeEach', 'adds', 'afterEach inner']);
    expect(order.at(-1)).toBe('afterAll');
  });

  it('a failing beforeAll fails every test of its suite; hooks of one file do not reach the next', async () => {
    const summary = shim.emptySummary();
    await shim.runFile(
      'b.test.ts',
      async () => {
        shim.beforeAll(() => {
          throw new Error('no adapter');
        });
        shim.it('one', () => undefined);
        shim.it('two', () => undefined);
      },
      summary,
      () => undefined,
    );
    expect(summary).toMatchObject({ passed: 0, failed: 2 });
    expect(summary.failures[0]!.message).toBe('Error: no adapter');
    await shim.runFile(
      'c.test.ts',
      async () => shim.it('three', () => undefined),
      summary,
      () => undefined,
    );
    expect(summary).toMatchObject({ passed: 1, failed: 2 });
    await shim.runFile(
      'd.test.ts',
      async () => {
        throw new Error('syntax');
      },
      summary,
      () => undefined,
    );
    expect(summary.failures.at(-1)).toEqual({ name: 'd.test.ts (load)', message: 'Error: syntax' });
  });
});
