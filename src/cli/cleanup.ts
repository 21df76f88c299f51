// Cleanups of the command line that must run however the process ends: on exit (an uncaught exception included)
// and on SIGINT, SIGTERM and SIGHUP, after which the process dies of that same signal (exit status 128 + n, as a
// shell expects from Ctrl-C).
const cleanups = new Set<() => void>();
let installed = false;

function runCleanups(): void {
  for (const fn of [...cleanups]) {
    cleanups.delete(fn);
    try {
      fn();
    } catch {
      // a cleanup that fails must not keep the others from running
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      runCleanups();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
  process.on('exit', runCleanups);
}

/** Registers a synchronous cleanup; returns a function that unregisters it (when the work is done another way). */
export function onProcessEnd(cleanup: () => void): () => void {
  install();
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
}
