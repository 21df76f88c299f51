// The chunks of a window session: handed-back chunks are reused, each at most once at a time; others are ignored.
import { describe, expect, it } from 'vitest';
import { WindowChunks } from '../../src/simd/window-chunks.js';

describe('WindowChunks', () => {
  it('gives the requested length of a chunk of the window size, in shared memory where it exists (Node)', () => {
    const chunks = new WindowChunks(64);
    const c = chunks.take(40);
    expect(c.length).toBe(40);
    expect(c.buffer.byteLength).toBe(64);
    expect(c.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(() => chunks.take(65)).toThrow(RangeError);
  });

  it('reuses a chunk handed back, and only once however often it is handed back', () => {
    const chunks = new WindowChunks(64);
    const a = chunks.take(64);
    chunks.release(a);
    chunks.release(a); // a second hand-back of the same chunk must not make it free twice
    const b = chunks.take(16);
    const c = chunks.take(16);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(a.buffer);
  });

  it('ignores chunks it did not give, keeps at most `keep`, and forgets them on clear()', () => {
    const chunks = new WindowChunks(64, 1);
    chunks.release(new Uint8Array(new SharedArrayBuffer(64)));
    const [a, b] = [chunks.take(8), chunks.take(8)];
    expect(a.buffer).not.toBe(b.buffer);
    chunks.release(a);
    chunks.release(b); // over `keep`: dropped
    expect(chunks.take(8).buffer).toBe(a.buffer);
    expect(chunks.take(8).buffer).not.toBe(b.buffer);
    const d = chunks.take(8);
    chunks.release(d);
    chunks.clear();
    expect(chunks.take(8).buffer).not.toBe(d.buffer);
  });
});
