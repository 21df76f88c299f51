import { describe, expect, it } from 'vitest';
import { compileGlob, firstMatchingRule, globMatch } from '../../src/models/rules.js';
import { MODEL_LIMITS, type ModelSpec, modelTotals, parseModelSpec, resolveModel } from '../../src/models/spec.js';
import { fnv1a64 } from '../../src/models/stream.js';
import { expectInvalid } from '../helpers/errors.js';

/** The example of docs/models.md. */
const EXAMPLE_JSON = `{
  "name": "tiny-mlp",
  "dtype": "f32",
  "tensors": [
    { "name": "embed.weight", "shape": [1000, 64] },
    { "name": "block.0.norm.weight", "shape": [64] },
    { "name": "block.0.fc.weight", "shape": [256, 64] },
    { "name": "block.0.fc.bias", "shape": [256] },
    { "name": "head.weight", "shape": [10, 256], "init": { "kind": "xavierUniform" }, "dtype": "bf16" },
    { "name": "head.bias", "shape": [10], "stream": "12345" }
  ],
  "rules": [
    { "match": "*.bias", "init": { "kind": "zeros" } },
    { "match": "*norm*.weight", "init": { "kind": "ones" } },
    { "match": "*", "init": { "kind": "normal", "mean": 0, "std": 0.02 } }
  ]
}`;

describe('glob', () => {
  it("'*' matches any run of characters, dots included, possibly empty", () => {
    expect(globMatch('*.bias', 'h.0.attn.c_attn.bias')).toBe(true);
    expect(globMatch('*.bias', '.bias')).toBe(true);
    expect(globMatch('h.*.weight', 'h.0.mlp.c_fc.weight')).toBe(true);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('**', 'abc')).toBe(true);
    expect(globMatch('a*b*c', 'abc')).toBe(true);
    expect(globMatch('a*b*c', 'axxbyyc')).toBe(true);
    expect(globMatch('a*b*c', 'axxbyy')).toBe(false);
  });

  it("'?' matches exactly one character (one code point)", () => {
    expect(globMatch('ln_?.weight', 'ln_1.weight')).toBe(true);
    expect(globMatch('ln_?.weight', 'ln_f.weight')).toBe(true);
    expect(globMatch('ln_?.weight', 'ln_.weight')).toBe(false);
    expect(globMatch('ln_?.weight', 'ln_12.weight')).toBe(false);
    expect(globMatch('?.w', '😀.w')).toBe(true); // one code point, two UTF-16 units
    expect(globMatch('??.w', '😀.w')).toBe(false);
  });

  it('is anchored at both ends and case-sensitive', () => {
    expect(globMatch('bias', 'fc.bias')).toBe(false);
    expect(globMatch('fc', 'fc.bias')).toBe(false);
    expect(globMatch('fc.bias', 'fc.bias')).toBe(true);
    expect(globMatch('*.Bias', 'fc.bias')).toBe(false);
    expect(globMatch('fc.bias', 'fc.biasx')).toBe(false);
  });

  it('treats every other character literally (no regex, no classes)', () => {
    expect(globMatch('a.c', 'abc')).toBe(false);
    expect(globMatch('[ab]', 'a')).toBe(false);
    expect(globMatch('[ab]', '[ab]')).toBe(true);
    expect(globMatch('a+', 'aa')).toBe(false);
    expect(globMatch('x(1)', 'x(1)')).toBe(true);
  });

  it('runs in polynomial time on adversarial patterns', () => {
    const name = 'a'.repeat(1024);
    const glob = compileGlob(`${'*a'.repeat(40)}*b`);
    const t0 = Date.now();
    expect(glob.test(name)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('firstMatchingRule returns the first match or -1', () => {
    const rules = [{ match: '*.bias' }, { match: 'fc.*' }, { match: '*' }];
    expect(firstMatchingRule(rules, 'fc.bias')).toBe(0);
    expect(firstMatchingRule(rules, 'fc.weight')).toBe(1);
    expect(firstMatchingRule(rules, 'conv.weight')).toBe(2);
    expect(firstMatchingRule(rules.slice(0, 2), 'conv.weight')).toBe(-1);
  });
});

describe('resolveModel', () => {
  it('resolves the documented example', () => {
    const r = resolveModel(parseModelSpec(EXAMPLE_JSON));
    expect(r.map((t) => [t.name, t.rule, t.ruleIndex, t.init.kind, t.dtype])).toEqual([
      ['embed.weight', '*', 2, 'normal', 'f32'],
      ['block.0.norm.weight', '*norm*.weight', 1, 'ones', 'f32'],
      ['block.0.fc.weight', '*', 2, 'normal', 'f32'],
      ['block.0.fc.bias', '*.bias', 0, 'zeros', 'f32'],
      ['head.weight', 'explicit', null, 'xavierUniform', 'bf16'],
      ['head.bias', '*.bias', 0, 'zeros', 'f32'],
    ]);
    expect(r[0]!.stream).toBe(fnv1a64('embed.weight'));
    expect(r[5]!.stream).toBe(12345n);
    expect(r[0]!.numel).toBe(64000);
    expect(r[0]!.byteLength).toBe(256000);
    expect(r[4]!.byteLength).toBe(2 * 2560);
    expect(r[4]!.layout).toBe('torch');
    const head = r[4]!.resolved;
    expect(head.kind).toBe('distribution');
    if (head.kind === 'distribution') {
      expect(head.fanIn).toBe(256);
      expect(head.fanOut).toBe(10);
    }
    expect(modelTotals(r)).toEqual({
      tensors: 6,
      numel: 64000 + 64 + 16384 + 256 + 2560 + 10,
      parameters: 64000 + 64 + 16384 + 256 + 2560 + 10,
      runningStats: 0,
      byteLength: 4 * (64000 + 64 + 16384 + 256 + 10) + 2 * 2560,
    });
  });

  it("gives a tensor's own init precedence over every rule, and the first matching rule over later ones", () => {
    const spec: ModelSpec = {
      tensors: [
        { name: 'a.bias', shape: [4], init: { kind: 'constant', value: 3 } },
        { name: 'b.bias', shape: [4] },
      ],
      rules: [
        { match: 'b.*', init: { kind: 'ones' } },
        { match: '*.bias', init: { kind: 'zeros' } },
      ],
    };
    const r = resolveModel(spec);
    expect(r[0]!.rule).toBe('explicit');
    expect(r[0]!.resolved).toEqual({ kind: 'constant', value: 3 });
    expect(r[1]!.rule).toBe('b.*');
    expect(r[1]!.resolved).toEqual({ kind: 'constant', value: 1 });
  });

  it('names the tensor when nothing initializes it', () => {
    const err = expectInvalid(
      () =>
        resolveModel({
          tensors: [
            { name: 'x', shape: [2], init: { kind: 'zeros' } },
            { name: 'lonely.weight', shape: [3, 3] },
          ],
          rules: [{ match: '*.bias', init: { kind: 'zeros' } }],
        }),
      'tensors[1].init',
    );
    expect(err.message).toContain(`no initializer for tensor "lonely.weight": add init or a rule`);
  });

  it('takes layout and dtype from the tensor, else the rule that initialized it, else the model, else torch/f32', () => {
    const spec: ModelSpec = {
      dtype: 'f16',
      tensors: [
        { name: 'k.kernel', shape: [3, 3, 8, 16] },
        { name: 'k2.kernel', shape: [3, 3, 8, 16], layout: 'torch', dtype: 'f32' },
        { name: 'w', shape: [16, 8] },
      ],
      rules: [
        { match: '*.kernel', init: { kind: 'glorotUniform' }, layout: 'keras', dtype: 'bf16' },
        { match: '*', init: { kind: 'heNormal' } },
      ],
    };
    const [k, k2, w] = resolveModel(spec);
    expect([k!.layout, k!.dtype]).toEqual(['keras', 'bf16']);
    expect([k2!.layout, k2!.dtype]).toEqual(['torch', 'f32']);
    expect([w!.layout, w!.dtype]).toEqual(['torch', 'f16']);
    if (k!.resolved.kind !== 'distribution' || k2!.resolved.kind !== 'distribution') throw new Error('expected distributions');
    expect([k!.resolved.fanIn, k!.resolved.fanOut]).toEqual([72, 144]);
    expect([k2!.resolved.fanIn, k2!.resolved.fanOut]).toEqual([3 * 8 * 16, 3 * 8 * 16]);
    expect(resolveModel({ ...spec, layout: 'keras', dtype: undefined })[2]!.layout).toBe('keras');
    expect(resolveModel({ ...spec, dtype: undefined })[2]!.dtype).toBe('f32');
  });

  it("never changes a tensor's stream when others are reordered, added or removed", () => {
    const base = resolveModel(parseModelSpec(EXAMPLE_JSON));
    const byName = new Map(base.map((t) => [t.name, t.stream]));
    const spec = parseModelSpec(EXAMPLE_JSON);
    const variants: ModelSpec[] = [
      { ...spec, tensors: [...spec.tensors].reverse() },
      { ...spec, tensors: spec.tensors.filter((_, i) => i % 2 === 0) },
      { ...spec, tensors: [{ name: 'new.first', shape: [5] }, ...spec.tensors, { name: 'new.last.weight', shape: [2, 2] }] },
      { ...spec, tensors: [spec.tensors[3]!, spec.tensors[0]!], rules: [...(spec.rules ?? [])].reverse() },
    ];
    for (const v of variants) {
      for (const t of resolveModel(v)) {
        if (byName.has(t.name)) expect(t.stream, t.name).toBe(byName.get(t.name));
        else expect(t.stream).toBe(fnv1a64(t.name));
      }
    }
  });

  it('rejects duplicate names and duplicate streams', () => {
    expectInvalid(
      () =>
        resolveModel({
          tensors: [
            { name: 'a', shape: [1], init: { kind: 'zeros' } },
            { name: 'a', shape: [2], init: { kind: 'zeros' } },
          ],
        }),
      'tensors[1].name',
      'tensors[0]',
    );
    expectInvalid(
      () =>
        resolveModel({
          tensors: [
            { name: 'a', shape: [1], init: { kind: 'zeros' }, stream: 5 },
            { name: 'b', shape: [1], init: { kind: 'zeros' }, stream: '5' },
          ],
        }),
      'tensors[1].stream',
    );
    // An override equal to another tensor's name hash.
    expectInvalid(
      () =>
        resolveModel({
          tensors: [
            { name: 'a', shape: [1], init: { kind: 'zeros' } },
            { name: 'b', shape: [1], init: { kind: 'zeros' }, stream: fnv1a64('a') },
          ],
        }),
      'tensors[1].stream',
    );
  });

  it('validates names, shapes, dtypes, layouts, rules and streams with their paths', () => {
    const ok = { name: 'w', shape: [2, 2], init: { kind: 'zeros' } } as const;
    const m = (tensors: unknown[], rules?: unknown[]): ModelSpec => ({ tensors, rules }) as unknown as ModelSpec;
    expectInvalid(() => resolveModel(null as unknown as ModelSpec), 'spec');
    expectInvalid(() => resolveModel({} as ModelSpec), 'tensors');
    expectInvalid(() => resolveModel(m([ok, { ...ok, name: 'v' }, { ...ok, name: 'u' }, { ...ok, name: 'x', shape: [2, -1] }])), 'tensors[3].shape[1]');
    expectInvalid(() => resolveModel(m([{ ...ok, shape: 'big' }])), 'tensors[0].shape');
    expectInvalid(() => resolveModel(m([{ ...ok, shape: new Array(33).fill(1) }])), 'tensors[0].shape');
    expectInvalid(() => resolveModel(m([{ ...ok, name: '' }])), 'tensors[0].name');
    expectInvalid(() => resolveModel(m([{ ...ok, name: 'x'.repeat(1025) }])), 'tensors[0].name');
    expectInvalid(() => resolveModel(m([{ ...ok, name: 'bad\uD800' }])), 'tensors[0].name');
    expectInvalid(() => resolveModel(m([{ ...ok, name: 7 }])), 'tensors[0].name');
    expectInvalid(() => resolveModel(m([{ ...ok, dtype: 'f64' }])), 'tensors[0].dtype');
    expectInvalid(() => resolveModel(m([{ ...ok, layout: 'nchw' }])), 'tensors[0].layout');
    expectInvalid(() => resolveModel(m([{ ...ok, stream: -3 }])), 'tensors[0].stream');
    expectInvalid(() => resolveModel(m([{ ...ok, stream: {} }])), 'tensors[0].stream');
    expectInvalid(() => resolveModel(m([{ ...ok, init: { kind: 'gaussian' } }])), 'tensors[0].init.kind');
    expectInvalid(() => resolveModel(m([{ ...ok, init: null }])), 'tensors[0].init');
    expectInvalid(() => resolveModel(m([{ ...ok, init: { kind: 'normal', std: -1 } }])), 'tensors[0].init.std');
    expectInvalid(() => resolveModel(m([ok], [{ match: '', init: { kind: 'zeros' } }])), 'rules[0].match');
    expectInvalid(
      () =>
        resolveModel(
          m(
            [ok],
            [
              { match: '*', init: { kind: 'zeros' } },
              { match: 3, init: { kind: 'zeros' } },
            ],
          ),
        ),
      'rules[1].match',
    );
    expectInvalid(() => resolveModel(m([ok], [{ match: '*', init: { kind: 'nope' } }])), 'rules[0].init.kind');
    expectInvalid(() => resolveModel(m([ok], [{ match: '*', init: { kind: 'zeros' }, dtype: 'int8' }])), 'rules[0].dtype');
    expectInvalid(() => resolveModel(m([ok], [{ match: '*', init: { kind: 'zeros' }, layout: 5 }])), 'rules[0].layout');
    expectInvalid(() => resolveModel(m([ok], ['*'])), 'rules[0]');
    expectInvalid(() => resolveModel({ ...m([ok]), dtype: 'fp8' } as unknown as ModelSpec), 'dtype');
    expectInvalid(() => resolveModel({ ...m([ok]), name: '' } as unknown as ModelSpec), 'name');
  });

  it('resolves each initializer for its shape, naming the tensor and the rule when the combination is invalid', () => {
    // A rule's bad parameter is reported at the rule, with the tensor in the message.
    const e1 = expectInvalid(
      () => resolveModel({ tensors: [{ name: 'w', shape: [4, 4] }], rules: [{ match: '*', init: { kind: 'normal', std: 0 } }] }),
      'rules[0].init.std',
    );
    expect(e1.message).toContain('tensor "w" = tensors[0] via rules[0] "*"');
    // kaiming needs fans, which the torch layout cannot read from a 1-D shape: the tensor's shape is at fault.
    const e2 = expectInvalid(
      () =>
        resolveModel({
          tensors: [
            { name: 'x', shape: [4, 4] },
            { name: 'b', shape: [4] },
          ],
          rules: [{ match: '*', init: { kind: 'kaimingUniform' } }],
        }),
      'tensors[1].shape',
    );
    expect(e2.message).toContain('tensor "b" = tensors[1]');
    // eye is 2-D only.
    expectInvalid(() => resolveModel({ tensors: [{ name: 'e', shape: [2, 2, 2], init: { kind: 'eye' } }] }), 'tensors[0].shape');
    // Explicit axes out of range, from the tensor's layout and from the model's.
    expectInvalid(
      () => resolveModel({ tensors: [{ name: 'w', shape: [4, 4], init: { kind: 'glorotNormal' }, layout: { inAxis: 2, outAxis: 1 } }] }),
      'tensors[0].layout.inAxis',
    );
    expectInvalid(
      () => resolveModel({ layout: { inAxis: 0, outAxis: 5 }, tensors: [{ name: 'w', shape: [4, 4], init: { kind: 'glorotNormal' } }] }),
      'layout.outAxis',
    );
    expectInvalid(
      () =>
        resolveModel({
          tensors: [{ name: 'w', shape: [4, 4] }],
          rules: [{ match: 'w', init: { kind: 'heUniform' }, layout: { inAxis: 0, outAxis: 0 } }],
        }),
      'rules[0].layout.outAxis',
    );
    // Zero-size and rank-0 tensors resolve when the initializer allows them.
    const r = resolveModel({
      tensors: [
        { name: 's', shape: [], init: { kind: 'constant', value: 2 } },
        { name: 'z', shape: [0, 3], init: { kind: 'normal', std: 1 } },
      ],
    });
    expect(r.map((t) => t.numel)).toEqual([1, 0]);
  });
});

describe('parseModelSpec', () => {
  it('accepts a JSON string or a parsed value and returns a fresh copy', () => {
    const parsed = JSON.parse(EXAMPLE_JSON) as { tensors: { shape: number[] }[] };
    const spec = parseModelSpec(parsed);
    expect(spec).toEqual(parseModelSpec(EXAMPLE_JSON));
    parsed.tensors[0]!.shape[0] = 1;
    expect(spec.tensors[0]!.shape).toEqual([1000, 64]);
    expect(spec.tensors[5]!.stream).toBe('12345');
  });

  it('rejects invalid JSON and unknown keys everywhere', () => {
    expectInvalid(() => parseModelSpec('{"tensors": ['), 'json');
    expectInvalid(() => parseModelSpec('[]'), 'spec');
    expectInvalid(() => parseModelSpec({ tensors: [], rulez: [] }), 'spec.rulez');
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'a', shape: [1], inti: { kind: 'zeros' } }] }), 'tensors[0].inti');
    expectInvalid(() => parseModelSpec({ tensors: [], rules: [{ match: '*', init: { kind: 'zeros' }, prio: 1 }] }), 'rules[0].prio');
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'a', shape: [2, 2], init: { kind: 'kaimingNormal', mdoe: 'fan_out' } }] }), 'tensors[0].init.mdoe');
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'a', shape: [1], init: { kind: 'zeros', value: 0 } }] }), 'tensors[0].init.value');
    expectInvalid(
      () => parseModelSpec({ tensors: [{ name: 'a', shape: [2, 2], init: { kind: 'zeros' }, layout: { inAxis: 0, outAxis: 1, batch: 0 } }] }),
      'tensors[0].layout.batch',
    );
  });

  it('checks the type of every field', () => {
    expectInvalid(() => parseModelSpec({ tensors: {} }), 'tensors');
    expectInvalid(() => parseModelSpec({ tensors: [], rules: {} }), 'rules');
    expectInvalid(() => parseModelSpec({ tensors: [], name: 5 }), 'name');
    expectInvalid(() => parseModelSpec({ tensors: [5] }), 'tensors[0]');
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'a', shape: ['1'], init: { kind: 'zeros' } }] }), 'tensors[0].shape[0]');
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'a', shape: [1.5], init: { kind: 'zeros' } }] }), 'tensors[0].shape[0]');
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'a', shape: [1], init: { kind: 'zeros' }, stream: true }] }), 'tensors[0].stream');
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'a', shape: [1], init: { kind: 'constant', value: [1] } }] }), 'tensors[0].init.value');
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'a', shape: [1], init: { kind: 'constant', value: '1' } }] }), 'tensors[0].init.value');
    expectInvalid(
      () => parseModelSpec({ tensors: [{ name: 'a', shape: [2, 2], init: { kind: 'zeros' }, layout: { inAxis: '0', outAxis: 1 } }] }),
      'tensors[0].layout.inAxis',
    );
    // Semantic errors come from resolveModel, which parseModelSpec runs.
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'a', shape: [1] }] }), 'tensors[0].init');
  });

  it('bounds the sizes', () => {
    const many = new Array(MODEL_LIMITS.maxTensors + 1).fill({ name: 'a', shape: [1] });
    expectInvalid(() => parseModelSpec({ tensors: many }), 'tensors');
    const rules = new Array(MODEL_LIMITS.maxRules + 1).fill({ match: '*', init: { kind: 'zeros' } });
    expectInvalid(() => parseModelSpec({ tensors: [], rules }), 'rules');
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'n'.repeat(1025), shape: [1], init: { kind: 'zeros' } }] }), 'tensors[0].name');
    expectInvalid(() => parseModelSpec({ tensors: [], rules: [{ match: '*'.repeat(1025), init: { kind: 'zeros' } }] }), 'rules[0].match');
    expectInvalid(() => parseModelSpec({ tensors: [{ name: 'a', shape: new Array(33).fill(1), init: { kind: 'zeros' } }] }), 'tensors[0].shape');
    expect(parseModelSpec({ tensors: [{ name: 'n'.repeat(1024), shape: new Array(32).fill(1), init: { kind: 'zeros' } }] }).tensors).toHaveLength(1);
  });

  it('round-trips a preset-sized model through JSON', () => {
    const tensors = Array.from({ length: 2000 }, (_, i) => ({ name: `layers.${i}.weight`, shape: [8, 8] }));
    const json = JSON.stringify({ tensors, rules: [{ match: '*', init: { kind: 'normal', std: 0.02 } }] });
    const r = resolveModel(parseModelSpec(json));
    expect(r).toHaveLength(2000);
    expect(new Set(r.map((t) => t.stream)).size).toBe(2000);
  });
});
