// The memory a window session makes its windows in. A fresh chunk per window costs its first-touch page faults, which
// on some machines (virtual machines above all) take longer than making the bytes; so a session reuses the chunks its
// caller hands back. Where shared memory exists (Node; cross-origin isolated pages) the chunks are SharedArrayBuffers,
// which the SIMD workers write straight into.

/** Chunks of a session's window size: taken for a window, handed back once the caller no longer reads them. */
export class WindowChunks {
  private readonly free: Uint8Array[] = [];
  /** The chunks handed out and not handed back yet. */
  private readonly out = new WeakSet<ArrayBufferLike>();
  private readonly shared = typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;

  /**
   * @param bytes the size of each chunk (the session's window)
   * @param keep how many handed-back chunks are kept for reuse (a pipeline has three in use: two being made, one
   *   being written)
   */
  constructor(
    private readonly bytes: number,
    private readonly keep = 3,
  ) {}

  /** The first `length` bytes of a chunk (a reused one when there is one); their contents are stale. */
  take(length: number): Uint8Array {
    if (length > this.bytes) throw new RangeError(`${length} bytes in a chunk of ${this.bytes}`);
    const whole = this.free.pop() ?? new Uint8Array(this.shared ? new SharedArrayBuffer(this.bytes) : new ArrayBuffer(this.bytes));
    this.out.add(whole.buffer);
    return whole.subarray(0, length);
  }

  /** Hands back a chunk `take` gave (others, and one handed back already, are ignored): later windows reuse it. */
  release(chunk: Uint8Array): void {
    const buffer = chunk.buffer;
    if (!this.out.delete(buffer)) return;
    if (this.free.length < this.keep) this.free.push(new Uint8Array(buffer, 0, this.bytes));
  }

  /** Drops the kept chunks. */
  clear(): void {
    this.free.length = 0;
  }
}
