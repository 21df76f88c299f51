// `webgpu-weight-init verify DIR/`: is a checkpoint folder written by this library (whole, or by parts) complete and
// right? A JSON report on stdout; the exit code says what a job runner should do.
import { InvalidParameterError } from '../errors.js';
import { VERIFY_EXIT_CODES, verifyCheckpointFolder } from '../output/node/checkpoint-verify.js';
import { HelpRequested, type OptionSpec, parseCount, parseOptions, UsageError } from './args.js';

const VERIFY_OPTIONS = {
  full: { type: 'flag' },
  samples: { type: 'string' },
  parts: { type: 'string' },
  quiet: { type: 'flag' },
} as const satisfies Readonly<Record<string, OptionSpec>>;

export const VERIFY_HELP = `  verify DIR/ [options]      check a checkpoint folder written by init --out DIR/ (whole or by --part):
                             every file present with its size, headers and cut as planned, values equal
                             to the CPU twin; JSON report on stdout. Exit ${VERIFY_EXIT_CODES.complete}: complete; ${VERIFY_EXIT_CODES.damaged}: damaged
                             (a file is wrong: remove it and rerun its part); ${VERIFY_EXIT_CODES.incomplete}: incomplete (files missing
                             or a write unfinished: rerun the parts); ${VERIFY_EXIT_CODES.usage}: not a checkpoint folder, bad option
    --full                   every element (SIMD generator), not samples
    --samples N              pseudo-random elements per tensor besides the first and last (default 8)
    --parts N                name the parts (of N, as --part K/N) that own the missing or damaged files
    --quiet                  no progress on stderr
`;

export async function verifyCommand(argv: readonly string[]): Promise<number> {
  if (argv.some((a) => a === '--help' || a === '-h')) throw new HelpRequested();
  const folder = argv[0] !== undefined && !argv[0].startsWith('--') ? argv[0] : undefined;
  if (folder === undefined) throw new UsageError('verify needs the checkpoint folder: verify DIR/ [--full] [--samples N] [--parts N]');
  const opts = parseOptions(argv.slice(1), VERIFY_OPTIONS);
  const samples = opts.samples === undefined ? undefined : parseCount('samples', opts.samples, 1_000_000);
  const parts = opts.parts === undefined ? undefined : parseCount('parts', opts.parts, 100_000);
  if (parts === 0) throw new UsageError("option '--parts': '0' is not an integer in [1, 100000]");
  if (opts.full && samples !== undefined) throw new UsageError("options '--full' and '--samples' exclude each other");
  let lastTenth = -1;
  const report = await verifyCheckpointFolder(folder, {
    full: opts.full,
    ...(samples !== undefined ? { samples } : {}),
    ...(parts !== undefined ? { parts } : {}),
    onProgress: (done, total, file) => {
      const tenth = total > 0 ? Math.floor((done / total) * 10) : 10;
      if (opts.quiet || tenth === lastTenth) return;
      lastTenth = tenth;
      process.stderr.write(`verify ${(tenth * 10).toFixed(0)}%  ${file}\n`);
    },
  }).catch((e: unknown) => {
    if (e instanceof InvalidParameterError && e.parameter === 'folder') throw new UsageError(`verify: ${e.message}`);
    throw e;
  });
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.exitCode;
}
