"""Known answers of jax.random (and, below, jax.nn.initializers and Flax linen's init) for the library's tests.

Usage: python scripts/jax/make_fixtures.py [OUT.json]   (default: test/fixtures/jax-random.json)

Needs jax, jaxlib (0.10.2) and flax. Runs on the CPU backend with the default configuration
(jax_threefry_partitionable on, jax_enable_x64 off). Every value is stored as its bit pattern (u32 words for
bits and f32, u16 for f16 and bf16), so that the tests compare bits. Slices past element 2^32 of a tensor too
large to materialize are computed by JAX itself with its counter iota offset to the slice's start (the samplers
are elementwise in the flattened index, so this is the slice of the full tensor).
"""
import hashlib
import json
import platform
import sys
from importlib.metadata import version

import os
os.environ.setdefault('JAX_PLATFORMS', 'cpu')

import jax
import jax.numpy as jnp
import numpy as np
from jax._src.random import prng

OUT = sys.argv[1] if len(sys.argv) > 1 else 'test/fixtures/jax-random.json'
DTYPES = {'f32': jnp.float32, 'f16': jnp.float16, 'bf16': jnp.bfloat16}
IMPLS = ['threefry2x32', 'philox4x32']


def bits_of(a):
    a = np.asarray(a)
    if a.dtype == np.uint32:
        return [int(x) for x in a.ravel()]
    view = np.uint32 if a.dtype.itemsize == 4 else np.uint16
    return [int(x) for x in a.view(view).ravel()]


def json_number(x):
    """JSON has no infinities: they are written as the strings "Infinity" and "-Infinity"."""
    if isinstance(x, float) and np.isinf(x):
        return 'Infinity' if x > 0 else '-Infinity'
    return x


def params_json(params):
    return {k: json_number(v) for k, v in params.items()}


def key_data(k):
    return [int(x) for x in jax.random.key_data(k)]


_iota = prng.iota_2x32_shape


def offset_iota(start):
    """prng.iota_2x32_shape with every flattened index shifted by `start`."""
    def iota(shape):
        n = int(np.prod(shape))
        idx = np.arange(n, dtype=np.uint64) + np.uint64(start)
        hi = (idx >> np.uint64(32)).astype(np.uint32).reshape(shape)
        lo = (idx & np.uint64(0xFFFFFFFF)).astype(np.uint32).reshape(shape)
        return [jnp.asarray(hi), jnp.asarray(lo)]
    return iota


def sample(key, dist, shape, dtype, params, start=None, count=None):
    """jax.random.<dist>(key, shape, dtype, ...) flattened, or elements [start, start + count) of it."""
    def call(shp):
        if dist == 'bits':
            return jax.random.bits(key, shp)
        d = DTYPES[dtype]
        if dist == 'uniform':
            return jax.random.uniform(key, shp, d, params.get('minval', 0.0), params.get('maxval', 1.0))
        if dist == 'normal':
            return jax.random.normal(key, shp, d)
        return jax.random.truncated_normal(key, params['lower'], params['upper'], shp, d)
    if start is None:
        return bits_of(call(tuple(shape)))
    # JAX caches each traced sampler by shape and dtype: the caches are cleared on the way in and out, so that no
    # trace made with another offset (or none) is reused.
    jax.clear_caches()
    prng.iota_2x32_shape = offset_iota(start)
    try:
        return bits_of(call((count,)))
    finally:
        prng.iota_2x32_shape = _iota
        jax.clear_caches()


# Slices (shape, start, count), past element 2^32 among them.
SLICES = [
    ([2**33], 2**32 - 3, 9),
    ([3, 2**40], 2**40 + 7, 5),
    ([2**52, 2], 2**53 - 6, 6),
    ([1000], 997, 3),
    ([2**34 + 10], 2**34, 10),
]


def keys_section():
    out = []
    for impl in IMPLS:
        for seed in [0, 1, 42, 7, 2**31 - 1, 2**32 - 1, -1, -12345, 123456789, 2**32 + 5]:
            out.append({'seed': seed, 'impl': impl, 'data': key_data(jax.random.key(seed, impl=impl))})
    return out


def chains_section():
    """split / fold_in sequences: each op is ['split', num_or_shape, index] or ['fold_in', data]."""
    chains = [
        [['split', 2, 0]],
        [['split', 2, 1]],
        [['split', 5, 4]],
        [['split', [2, 3], 4]],
        [['fold_in', 0]],
        [['fold_in', 1]],
        [['fold_in', 2**32 - 1]],
        [['fold_in', 2**32 - 7]],
        [['split', 3, 2], ['fold_in', 9], ['split', 4, 3]],
        [['fold_in', 123], ['fold_in', 456], ['split', 2, 1]],
        [['split', 1000, 999]],
        [['split', [4, 5, 6], 119], ['fold_in', 2**31]],
    ]
    out = []
    for impl in IMPLS:
        for seed in [0, 2024]:
            for ops in chains:
                k = jax.random.key(seed, impl=impl)
                for op in ops:
                    if op[0] == 'split':
                        num = tuple(op[1]) if isinstance(op[1], list) else op[1]
                        k = jax.random.split(k, num).reshape(-1)[op[2]]
                    else:
                        k = jax.random.fold_in(k, op[1])
                out.append({'impl': impl, 'seed': seed, 'ops': ops, 'data': key_data(k)})
    return out


def samples_section():
    out = []
    shapes = [[7], [3, 5], [2, 3, 4], [1], [64], [0], [5, 1, 3], [2, 2, 2, 2]]
    uniform_params = [{}, {'minval': -0.3, 'maxval': 0.7}, {'minval': 3.7, 'maxval': 1000.1}, {'minval': -2.5, 'maxval': 1e-3}]
    tn_params = [
        {'lower': -2.0, 'upper': 2.0},
        {'lower': -1.5, 'upper': 3.25},
        {'lower': 0.5, 'upper': 7.0},
        {'lower': -6.0, 'upper': -5.5},
        {'lower': 0.0, 'upper': float('inf')},
        {'lower': float('-inf'), 'upper': 0.25},
        {'lower': -10.0, 'upper': 10.0},
    ]
    # One shape per sampler and dtype (the parameters are traced, so each group compiles once).
    groups = [('bits', None, [{}])]
    for dtype in DTYPES:
        groups += [('uniform', dtype, uniform_params), ('normal', dtype, [{}]), ('truncatedNormal', dtype, tn_params)]
    for impl in IMPLS:
        for seed in [0, 42, 2**31 + 5]:
            key = jax.random.key(seed, impl=impl)
            for g, (dist, dtype, params_list) in enumerate(groups):
                shape = shapes[(g + seed) % len(shapes)]
                for params in params_list:
                    out.append({'impl': impl, 'key': key_data(key), 'dist': dist, 'dtype': dtype or 'u32', 'shape': shape, **params_json(params),
                                'bits': sample(key, dist, shape, dtype, params)})
    # Slices of tensors too large to make whole, past element 2^32 among them.
    slice_cases = [('bits', None, {}), ('uniform', 'f32', {'minval': -1.0, 'maxval': 1.0}), ('normal', 'f32', {}),
                   ('normal', 'bf16', {}), ('truncatedNormal', 'f16', {'lower': -2.0, 'upper': 2.0}),
                   ('truncatedNormal', 'f32', {'lower': -3.0, 'upper': 1.0})]
    for impl in IMPLS:
        key = jax.random.fold_in(jax.random.key(3, impl=impl), 11)
        for i, (shape, start, count) in enumerate(SLICES):
            for dist, dtype, params in slice_cases[i % 2::2]:
                out.append({'impl': impl, 'key': key_data(key), 'dist': dist, 'dtype': dtype or 'u32', 'shape': shape, **params_json(params),
                            'start': str(start), 'count': count, 'bits': sample(key, dist, shape, dtype, params, start, count)})
    return out


def jax_initializer(spec):
    """The jax.nn.initializers initializer of a spec in the library's form (camelCase kinds and axis names)."""
    init = jax.nn.initializers
    axes = {py: spec[ts] for ts, py in [('inAxis', 'in_axis'), ('outAxis', 'out_axis'), ('batchAxis', 'batch_axis')] if ts in spec}
    axes = {k: tuple(v) if isinstance(v, list) else v for k, v in axes.items()}
    kind = spec['kind']
    named = {'glorotUniform': init.glorot_uniform, 'glorotNormal': init.glorot_normal, 'lecunUniform': init.lecun_uniform,
             'lecunNormal': init.lecun_normal, 'heUniform': init.he_uniform, 'heNormal': init.he_normal}
    if kind in named:
        return named[kind](**axes)
    if kind == 'varianceScaling':
        return init.variance_scaling(spec['scale'], spec['mode'], spec['distribution'], **axes)
    if kind == 'normal':
        return init.normal(spec['stddev'])
    if kind == 'uniform':
        return init.uniform(spec['scale'])
    if kind == 'truncatedNormal':
        return init.truncated_normal(spec['stddev'], lower=spec['lower'], upper=spec['upper'])
    if kind == 'constant':
        return init.constant(spec['value'])
    return {'zeros': init.zeros, 'ones': init.ones}[kind]


def initializers_section():
    specs = [
        ({'kind': 'glorotUniform'}, [5, 7]),
        ({'kind': 'glorotNormal'}, [3, 3, 4, 6]),
        ({'kind': 'lecunUniform'}, [7, 11]),
        ({'kind': 'lecunNormal'}, [16, 8]),
        ({'kind': 'heUniform'}, [2, 2, 3, 5]),
        ({'kind': 'heNormal'}, [9, 4]),
        ({'kind': 'varianceScaling', 'scale': 0.7, 'mode': 'fan_out', 'distribution': 'normal', 'inAxis': 0, 'outAxis': [1, 2], 'batchAxis': 3}, [3, 4, 2, 5]),
        ({'kind': 'varianceScaling', 'scale': 1.3, 'mode': 'fan_geo_avg', 'distribution': 'uniform'}, [6, 10]),
        ({'kind': 'varianceScaling', 'scale': 2.0, 'mode': 'fan_avg', 'distribution': 'truncated_normal', 'inAxis': -3, 'outAxis': -1}, [2, 3, 4, 5]),
        # Flax's nn.Embed default: in and out axes coincide.
        ({'kind': 'varianceScaling', 'scale': 1.0, 'mode': 'fan_in', 'distribution': 'normal', 'outAxis': 0}, [120, 16]),
        ({'kind': 'normal', 'stddev': 0.05}, [4, 6]),
        ({'kind': 'uniform', 'scale': 0.3}, [10]),
        ({'kind': 'truncatedNormal', 'stddev': 0.2, 'lower': -1.0, 'upper': 3.0}, [3, 7]),
        ({'kind': 'constant', 'value': 0.1}, [2, 3]),
        ({'kind': 'zeros'}, [4]),
        ({'kind': 'ones'}, [2, 2]),
    ]
    out = []
    for impl in IMPLS:
        key = jax.random.split(jax.random.key(17, impl=impl), 3)[2]
        for dtype in DTYPES:
            for spec, shape in specs:
                value = jax_initializer(spec)(key, tuple(shape), DTYPES[dtype])
                out.append({'impl': impl, 'key': key_data(key), 'init': spec, 'shape': shape, 'dtype': dtype, 'bits': bits_of(value)})
    return out


def flax_section():
    """model.init(jax.random.key(seed), x)['params'] of small Flax linen models, flattened (path 'A/B/kernel')."""
    import flax.linen as nn
    from flax.traverse_util import flatten_dict

    class MLP(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Dense(16)(x))
            x = nn.relu(nn.Dense(8)(x))
            return nn.Dense(3, use_bias=False)(x)

    class Block(nn.Module):
        """A pre-norm transformer block."""
        @nn.compact
        def __call__(self, x):
            y = nn.MultiHeadDotProductAttention(num_heads=4, qkv_features=16)(nn.LayerNorm()(x))
            x = x + y
            y = nn.Dense(32)(nn.LayerNorm()(x))
            return x + nn.Dense(8)(nn.gelu(y))

    class Transformer(nn.Module):
        @nn.compact
        def __call__(self, ids):
            x = nn.Embed(50, 8)(ids)
            x = Block()(x)
            x = Block()(x)
            return nn.Dense(50, name='head')(nn.LayerNorm()(x))

    class CNN(nn.Module):
        @nn.compact
        def __call__(self, x):
            x = nn.relu(nn.Conv(8, (3, 3))(x))
            x = nn.relu(nn.Conv(16, (3, 3), feature_group_count=2)(x))
            x = x.reshape((x.shape[0], -1)).mean(axis=-1, keepdims=True) * jnp.ones((1, 16))
            return nn.Dense(10)(x)

    models = [
        ('mlp', MLP(), jnp.ones((1, 4)), 'f32'),
        ('mlp', nn.Sequential([nn.Dense(5, param_dtype=jnp.bfloat16), nn.Dense(2, param_dtype=jnp.bfloat16)]), jnp.ones((1, 3)), 'bf16'),
        ('transformer', Transformer(), jnp.zeros((1, 6), jnp.int32), 'f32'),
        ('cnn', CNN(), jnp.ones((1, 6, 6, 3)), 'f32'),
    ]
    out = []
    for name, model, x, dtype in models:
        for impl in IMPLS:
            for seed in [0, 7]:
                params = flatten_dict(model.init(jax.random.key(seed, impl=impl), x)['params'], sep='/')
                out.append({'model': name, 'impl': impl, 'seed': seed, 'dtype': dtype,
                            'params': {k: {'shape': list(v.shape), 'bits': bits_of(v)} for k, v in params.items()}})
    return out


def main():
    fixture = {
        'generator': 'scripts/jax/make_fixtures.py',
        # This script's own bytes: the tests check that the fixture was written by the script as committed.
        'generator_sha256': hashlib.sha256(open(__file__, 'rb').read()).hexdigest(),
        'versions': {'jax': jax.__version__, 'jaxlib': version('jaxlib'), 'flax': version('flax'), 'numpy': np.__version__},
        'backend': jax.default_backend(),
        'machine': platform.machine(),
        'threefry_partitionable': bool(jax.config.jax_threefry_partitionable),
        'keys': keys_section(),
        'chains': chains_section(),
        'samples': samples_section(),
        'initializers': initializers_section(),
        'flax': flax_section(),
    }
    with open(OUT, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'), allow_nan=False)
        f.write('\n')
    counts = {k: len(v) for k, v in fixture.items() if isinstance(v, list)}
    print(f'{OUT}: {counts}', file=sys.stderr)


if __name__ == '__main__':
    main()
