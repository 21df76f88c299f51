// The progress line of `init` on stderr: bytes done, and a rate and a time left once they mean something.

export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * A rate measured over less than this, or over less than RATE_MIN_FRACTION of the work, says little about the rest
 * (the first line of a checkpoint comes after its header alone, a few hundred bytes in a few milliseconds), so no
 * rate and no ETA are shown before both are passed; the last line shows the rate of the whole run.
 */
export const RATE_MIN_SECONDS = 1;
export const RATE_MIN_FRACTION = 0.01;

/** One progress line: `label [####....] detail  done/total` and, once measured, `rate/s  ETA Ns`. */
export function progressLine(label: string, done: number, total: number, seconds: number, detail: string): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const width = 24;
  const bar = '#'.repeat(Math.round(fraction * width)).padEnd(width, '.');
  let line = `${label} [${bar}] ${detail}  ${formatBytes(done)}/${formatBytes(total)}`;
  const finished = done >= total;
  const measured = seconds > 0 && done > 0 && (finished || (seconds >= RATE_MIN_SECONDS && fraction >= RATE_MIN_FRACTION));
  if (measured) {
    const rate = done / seconds;
    line += `  ${formatBytes(rate)}/s`;
    if (!finished) line += `  ETA ${((total - done) / rate).toFixed(0)}s`;
  }
  return line;
}

/** A one-line progress bar on stderr (redrawn in place on a terminal, every 10% otherwise). */
export function progressBar(label: string, quiet: boolean): (done: number, total: number, detail: string) => void {
  const started = performance.now();
  let lastDecile = -1;
  return (done, total, detail) => {
    if (quiet) return;
    const line = progressLine(label, done, total, (performance.now() - started) / 1000, detail);
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}`);
      if (done >= total) process.stderr.write('\n');
    } else {
      const decile = Math.floor((total > 0 ? done / total : 1) * 10);
      if (decile !== lastDecile) {
        lastDecile = decile;
        process.stderr.write(`${line}\n`);
      }
    }
  };
}
