/** A command-line error: printed as one line, exit code 2. */
export class UsageError extends Error {}

export interface OptionSpec {
  readonly type: 'string' | 'flag';
  readonly values?: readonly string[];
}

/** Parses `--name value`, `--name=value` and `--flag`; rejects unknown options and missing values. */
export function parseOptions(argv: readonly string[], spec: Readonly<Record<string, OptionSpec>>): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown option '--${name}'`);
    if (out.has(name)) throw new UsageError(`option '--${name}' given twice`);
    if (s.type === 'flag') {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      out.set(name, 'true');
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || value === '') throw new UsageError(`option '--${name}' needs a value`);
    if (s.values && !s.values.includes(value)) {
      throw new UsageError(`option '--${name}': '${value}' is not one of ${s.values.join(', ')}`);
    }
    out.set(name, value);
  }
  return out;
}

/** A finite decimal number for option `name`. */
export function parseNumber(name: string, value: string): number {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) {
    throw new UsageError(`option '--${name}': '${value}' is not a number`);
  }
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`option '--${name}': '${value}' is not finite`);
  return n;
}

/** A non-negative integer no larger than max for option `name`. */
export function parseCount(name: string, value: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new UsageError(`option '--${name}': '${value}' is not an integer in [0, ${max}]`);
  }
  return Number(value);
}
