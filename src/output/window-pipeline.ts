// The window pipeline under the checkpoint writer (and every later output format): a file's tensor plans cut into
// windows of a bounded size, each window's bytes made by the executor (`windows(n).bytes(slices)`: the kernels and a
// readback, or the SIMD CPU path on the host) and handed on in order, window k + 1 made while window k is written.
// Nothing here knows which executor runs.

import { roundUp4 } from '../contract/align.js';
import { DTYPE_BYTES } from '../contract/dtypes.js';
import { type InitializePlan, sliceInitializePlan } from '../init/plan-initialize.js';
import type { ByteExecutor, WindowBytes } from '../simd/host-executor.js';

/** One window: slices of the tensors' plans, in data order. */
export type Window = readonly InitializePlan[];

/**
 * The windows of one file: its tensors' plans in data order, back to back, each slice rounded up to whole 4-byte
 * words and a window's slices together at most `window` bytes; a tensor split across windows is cut at a whole word
 * (an even element of a 2-byte dtype) and each piece is a slice of the tensor's one plan (so slices of an orthogonal
 * tensor share its matrix's plan, and the executor computes the matrix once).
 */
export function* planWindows(order: readonly InitializePlan[], window: number): Generator<Window> {
  let slices: InitializePlan[] = [];
  let used = 0;
  for (const plan of order) {
    const eb = DTYPE_BYTES[plan.dtype];
    let start = 0;
    while (start < plan.count) {
      if (used === window) {
        yield slices;
        slices = [];
        used = 0;
      }
      let n = Math.min(plan.count - start, Math.floor((window - used) / eb));
      if (n < plan.count - start) n -= n % (4 / eb);
      const whole = start === 0 && n === plan.count;
      slices.push(whole ? plan : sliceInitializePlan(plan, start, n));
      used += roundUp4(n * eb);
      start += n;
    }
  }
  if (slices.length > 0) yield slices;
}

/**
 * Streams windows through one session of an executor, two at a time: window k + 1 is made while window k is handed
 * to `write`; the chunks reach `write` in order. Memory: what the session holds (two GPU work and two staging buffers
 * of `window` bytes on the kernels) and three chunks of `window` bytes on the host (two being made, one being
 * written), reused from window to window; a writer that does not borrow them gets a fresh copy of each.
 */
export class WindowPipeline {
  private readonly session: WindowBytes;

  constructor(executor: ByteExecutor, window: number) {
    this.session = executor.windows(window);
  }

  /**
   * Streams the windows of one file; returns how many there were. `write(chunk, taken)` gets the chunks in order and
   * may return before the chunk is written (the next window is made meanwhile). With `borrows`, the chunk is the
   * session's own memory (perhaps shared with the SIMD workers) and `write` calls `taken()` once nothing reads it
   * any more, so that a later window reuses it; without, it is a fresh copy `write` may keep (taken() does nothing).
   */
  async run(
    windows: Iterable<Window>,
    write: (chunk: Uint8Array, taken: () => void) => Promise<void>,
    borrows: boolean,
    abortIfNeeded: () => void,
    signal?: AbortSignal,
  ): Promise<number> {
    const session = this.session;
    const hand = (chunk: Uint8Array): Promise<void> => {
      if (borrows) return write(chunk, () => session.release?.(chunk));
      const copy = chunk.slice();
      session.release?.(chunk);
      return write(copy, () => {});
    };
    const inFlight: Promise<Uint8Array>[] = [];
    let k = 0;
    try {
      for (const w of windows) {
        // Window k - 2 is written first: the session reuses its resources.
        if (inFlight.length === 2) await hand(await inFlight.shift()!);
        abortIfNeeded();
        const ready = session.bytes(w, signal);
        ready.catch(() => {}); // awaited in order below
        inFlight.push(ready);
        k++;
      }
      while (inFlight.length > 0) await hand(await inFlight.shift()!);
    } finally {
      await Promise.allSettled(inFlight);
    }
    return k;
  }

  destroy(): void {
    this.session.close();
  }
}
