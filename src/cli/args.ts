/** A command-line error: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** `--help` or `-h` was given: the command prints its help on stdout and exits 0. */
export class HelpRequested extends Error {}

/** An option: a flag, or one that takes a value (from `values` when that is given). */
export type OptionSpec = { readonly type: 'flag' } | { readonly type: 'string'; readonly values?: readonly string[] };

/** An option's kebab-case name as the property of the parsed object: max-shard-size -> maxShardSize. */
export type OptionKey<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<OptionKey<B>>}` : S;

/** The options of a command, parsed: a flag is a boolean, a value option its string (one of `values`) or undefined. */
export type ParsedOptions<S extends Readonly<Record<string, OptionSpec>>> = {
  readonly [K in keyof S & string as OptionKey<K>]: S[K] extends { readonly type: 'flag' }
    ? boolean
    : S[K] extends { readonly values: readonly (infer V)[] }
      ? V | undefined
      : string | undefined;
};

/** The property of the parsed object that holds option `name`. */
export function optionKey<S extends string>(name: S): OptionKey<S> {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase()) as OptionKey<S>;
}

/**
 * Parses `--name value`, `--name=value` and `--flag` into one typed object; rejects unknown options, missing values
 * and values outside an option's list. `--help` or `-h` anywhere throws HelpRequested.
 */
export function parseOptions<const S extends Readonly<Record<string, OptionSpec>>>(argv: readonly string[], spec: S): ParsedOptions<S> {
  if (argv.some((a) => a === '--help' || a === '-h')) throw new HelpRequested();
  const out: Record<string, string | boolean | undefined> = {};
  for (const [name, s] of Object.entries(spec)) out[optionKey(name)] = s.type === 'flag' ? false : undefined;
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const s = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (!s) throw new UsageError(`unknown option '--${name}'`);
    if (seen.has(name)) throw new UsageError(`option '--${name}' given twice`);
    seen.add(name);
    if (s.type === 'flag') {
      if (eq >= 0) throw new UsageError(`option '--${name}' takes no value`);
      out[optionKey(name)] = true;
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined || value === '') throw new UsageError(`option '--${name}' needs a value`);
    if (s.values && !s.values.includes(value)) {
      throw new UsageError(`option '--${name}': '${value}' is not one of ${s.values.join(', ')}`);
    }
    out[optionKey(name)] = value;
  }
  return Object.freeze(out) as ParsedOptions<S>;
}

/** The names (as typed on the command line) of the options among `names` that were given; `spec` names the command. */
export function givenOptions<const S extends Readonly<Record<string, OptionSpec>>, const N extends keyof S & string>(
  _spec: S,
  opts: ParsedOptions<S>,
  names: readonly N[],
): N[] {
  const values: Readonly<Record<string, unknown>> = opts;
  return names.filter((n) => {
    const v = values[optionKey(n)];
    return v !== undefined && v !== false;
  });
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
