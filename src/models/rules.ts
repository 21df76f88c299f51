// Initialization rules: a glob on the tensor name and the initializer it gets.
import type { FanLayout } from '../init/fans.js';
import type { FloatDType } from '../init/plan-initialize.js';
import type { InitializerSpec } from '../init/resolve-initializer.js';

/**
 * "Tensors whose name matches `match` get `init`" (and, optionally, a layout and a dtype). In a model, a tensor
 * without its own `init` takes the FIRST rule that matches its name; the rule's `layout` and `dtype` apply only to
 * the tensors that rule initializes, and only where the tensor does not set its own.
 */
export interface InitRule {
  /** Glob on the whole tensor name: `*` = any run of characters (dots included, possibly empty), `?` = one character. */
  match: string;
  init: InitializerSpec;
  layout?: FanLayout;
  dtype?: FloatDType;
}

/**
 * A compiled glob. Matching is on Unicode code points (`?` matches one code point, even outside the BMP), anchored at
 * both ends, case-sensitive, with no escapes and no character classes: a literal `*` or `?` in a name can only be
 * matched by a wildcard.
 */
export interface Glob {
  readonly pattern: string;
  test(name: string): boolean;
}

/**
 * Wildcard matching by the greedy algorithm with backtracking to the last `*` (O(|pattern|·|name|) worst case, no
 * exponential blow-up, unlike a backtracking regular expression built from the pattern). `p` and `s` are arrays of
 * code points, or strings compared by UTF-16 code units.
 */
function match(p: ArrayLike<string>, s: ArrayLike<string>): boolean {
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    const c = pi < p.length ? p[pi] : undefined;
    if (c !== undefined && c !== '*' && (c === '?' || c === s[si])) {
      pi++;
      si++;
    } else if (c === '*') {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}

export function compileGlob(pattern: string): Glob {
  // Without wildcards the glob is an equality test.
  if (!pattern.includes('*') && !pattern.includes('?')) return { pattern, test: (name) => name === pattern };
  // Without '?', matching on UTF-16 code units is the same as on code points for well-formed strings (a literal run
  // of a well-formed pattern can neither start nor end inside a surrogate pair), and cheaper.
  if (!pattern.includes('?')) return { pattern, test: (name) => match(pattern, name) };
  const p = Array.from(pattern);
  return { pattern, test: (name) => match(p, Array.from(name)) };
}

/** Whether `name` matches the glob `pattern` (see Glob). */
export function globMatch(pattern: string, name: string): boolean {
  return compileGlob(pattern).test(name);
}

/** Index of the first rule whose `match` covers `name`, or -1. */
export function firstMatchingRule(rules: readonly Pick<InitRule, 'match'>[], name: string): number {
  for (let i = 0; i < rules.length; i++) if (globMatch(rules[i]!.match, name)) return i;
  return -1;
}
