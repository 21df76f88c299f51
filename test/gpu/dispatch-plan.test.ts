import { describe, expect, it } from 'vitest';
import { type DispatchLimits, planDispatches } from '../../src/gpu/dispatch-plan.js';

const limits = (over: Partial<DispatchLimits> = {}): DispatchLimits => ({
  maxBindingBytes: 1024,
  bindingAlignment: 256,
  maxWorkgroupsPerDimension: 65535,
  workgroupSize: 64,
  ...over,
});

describe('planDispatches', () => {
  const cases: [number, number, bigint, DispatchLimits][] = [
    [0, 1, 0n, limits()],
    [4, 1000, 3n, limits()],
    [252, 5000, 1n, limits()],
    [1020, 257, (1n << 34n) - 3n, limits()],
    [8, 100_000, 2n, limits({ maxWorkgroupsPerDimension: 4, workgroupSize: 2, maxBindingBytes: 1 << 20 })],
    [0, 2 ** 28, 0n, limits({ maxBindingBytes: 2 ** 30 })],
    [12, 100_003, 1n, limits({ maxWorkgroupsPerDimension: 4, workgroupSize: 2, maxBindingBytes: 1 << 20, blocksPerInvocation: 4 })],
    [0, 2 ** 28, 3n, limits({ maxBindingBytes: 2 ** 30, blocksPerInvocation: 3 })],
  ];

  it.each(cases)('offset %d count %d start %d: chunks tile the range exactly within every limit', (offset, count, start, l) => {
    const chunks = planDispatches(offset, count, start, l);
    let next = 0;
    for (const c of chunks) {
      expect(c.start).toBe(start + BigInt(next));
      const firstByte = offset + 4 * next;
      expect(c.bindOffset % l.bindingAlignment).toBe(0);
      expect(c.bindOffset).toBeLessThanOrEqual(firstByte);
      expect(c.bindOffset + 4 * c.outIndex).toBe(firstByte);
      expect(c.bindSize % 4).toBe(0);
      expect(c.bindSize).toBeLessThanOrEqual(l.maxBindingBytes);
      // The binding ends exactly at the chunk's last byte: nothing past the range is bound.
      expect(c.bindOffset + c.bindSize).toBe(firstByte + 4 * c.count);
      expect(c.workgroups[0]).toBeLessThanOrEqual(l.maxWorkgroupsPerDimension);
      expect(c.workgroups[1]).toBeLessThanOrEqual(l.maxWorkgroupsPerDimension);
      const invocations = c.workgroups[0] * c.workgroups[1] * l.workgroupSize;
      const blocks = Math.ceil((Number(c.start & 3n) + c.count) / 4);
      const perInvocation = l.blocksPerInvocation ?? 1;
      // blockStride invocations with perInvocation blocks each cover every block; the grid holds them.
      expect(c.blockStride).toBe(Math.ceil(blocks / perInvocation));
      expect(c.blockStride * perInvocation).toBeGreaterThanOrEqual(blocks);
      expect(invocations).toBeGreaterThanOrEqual(c.blockStride);
      expect(c.rowBlocks).toBe(c.workgroups[0] * l.workgroupSize);
      next += c.count;
    }
    expect(next).toBe(count);
  });

  it('plans nothing for an empty range', () => {
    expect(planDispatches(0, 0, 5n, limits())).toEqual([]);
  });

  it('one dispatch when everything fits', () => {
    expect(planDispatches(0, 256, 0n, limits())).toHaveLength(1);
    expect(planDispatches(0, 257, 0n, limits())).toHaveLength(2);
  });

  it('rejects a window that cannot hold an aligned chunk', () => {
    expect(() => planDispatches(0, 10, 0n, limits({ maxBindingBytes: 300 }))).toThrow(RangeError);
  });
});
