// Initialization rules: a glob on the tensor name and the initializer it gets.

import { InvalidParameterError } from '../errors.js';
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
 * A count of matcher steps a caller allows (resolveModel: MODEL_LIMITS.maxMatchSteps for the whole spec). Each test
 * subtracts the steps it took; once `remaining` is below zero the test throws an InvalidParameterError.
 */
export interface MatchBudget {
  remaining: number;
  /** The steps allowed at the start, for the error message. */
  readonly limit: number;
}

/**
 * A compiled glob. Matching is on Unicode code points (`?` matches one code point, even outside the BMP), anchored at
 * both ends, case-sensitive, with no escapes and no character classes: a literal `*` or `?` in a name can only be
 * matched by a wildcard.
 */
export interface Glob {
  readonly pattern: string;
  /**
   * Whether `name` matches; with a budget, charges the steps taken: characters compared, at most
   * (|pattern| + 1) · (|name| + 2) per test.
   */
  test(name: string, budget?: MatchBudget): boolean;
}

/**
 * Wildcard matching by the greedy algorithm with backtracking to the last `*`: O(|pattern|·|name|) steps worst case
 * (each backtrack re-reads at most the pattern run after the last `*`), no exponential blow-up, unlike a backtracking
 * regular expression built from the pattern. `p` and `s` are arrays of code points, or strings compared by UTF-16
 * code units. Returns the steps taken, negated when the name does not match (so a step count always comes back).
 */
function match(p: ArrayLike<string>, s: ArrayLike<string>): number {
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  let steps = 1;
  while (si < s.length) {
    steps++;
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
      return -steps;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length ? steps : -steps;
}

function charge(budget: MatchBudget | undefined, steps: number, pattern: string): void {
  if (budget === undefined) return;
  budget.remaining -= steps;
  if (budget.remaining < 0) {
    throw new InvalidParameterError(
      'rules',
      `pattern ${JSON.stringify(pattern.length > 40 ? `${pattern.slice(0, 37)}...` : pattern)}`,
      `rules whose matching against the tensor names takes at most ${budget.limit} steps in all (fewer or simpler wildcard rules, or an explicit init on tensors)`,
    );
  }
}

export function compileGlob(pattern: string): Glob {
  // Without wildcards the glob is an equality test (reading at most |pattern| characters).
  if (!pattern.includes('*') && !pattern.includes('?')) {
    return {
      pattern,
      test: (name, budget) => {
        charge(budget, 1 + pattern.length, pattern);
        return name === pattern;
      },
    };
  }
  // Without '?', matching on UTF-16 code units is the same as on code points for well-formed strings (a literal run
  // of a well-formed pattern can neither start nor end inside a surrogate pair), and cheaper. The literal runs before
  // the first and after the last '*' are checked first, in one step: most names that do not match fail there.
  if (!pattern.includes('?')) {
    const prefix = pattern.slice(0, pattern.indexOf('*'));
    const suffix = pattern.slice(pattern.lastIndexOf('*') + 1);
    const fixed = prefix.length + suffix.length;
    return {
      pattern,
      test: (name, budget) => {
        // Comparing the runs reads up to |prefix| + |suffix| characters: charged as that many steps.
        if (name.length < fixed || !name.startsWith(prefix) || !name.endsWith(suffix)) {
          charge(budget, 1 + fixed, pattern);
          return false;
        }
        const steps = match(pattern, name);
        charge(budget, 1 + fixed + Math.abs(steps), pattern);
        return steps > 0;
      },
    };
  }
  const p = Array.from(pattern);
  return {
    pattern,
    test: (name, budget) => {
      const steps = match(p, Array.from(name));
      charge(budget, Math.abs(steps), pattern);
      return steps > 0;
    },
  };
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
