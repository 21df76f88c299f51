"""jax.random outputs for scripts/jax/measure-exactness.ts, as raw little-endian bit patterns.

Usage: python scripts/jax/dump_exactness.py OUTDIR [N]     (N: length of the real streams, default 10^7)

Writes OUTDIR/manifest.json and one .bin per row:
- exhaustive rows: JAX's samplers fed every mantissa pattern they can draw (every 2^23 f32 uniforms, every
  2^16 f16 and 2^8 bf16 ones), by replacing jax.random's bit source with those patterns: the transforms run
  exactly as in jax.random.normal / truncated_normal / uniform;
- stream rows: jax.random.<dist>(key, (N,), dtype) itself.
"""
import json
import os
import sys

os.environ.setdefault('JAX_PLATFORMS', 'cpu')

import jax
import jax.numpy as jnp
import numpy as np
from jax._src.random import core as random_core

OUT = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
DTYPES = {'f32': (jnp.float32, np.uint32, 2**23, 32), 'f16': (jnp.float16, np.uint16, 2**16, 16), 'bf16': (jnp.bfloat16, np.uint16, 2**8, 8)}
os.makedirs(OUT, exist_ok=True)
rows = []


def save(name, array, **row):
    array = np.asarray(array)
    view = np.uint32 if array.dtype.itemsize == 4 else np.uint16
    array.view(view).tofile(os.path.join(OUT, name + '.bin'))
    rows.append({'file': name + '.bin', 'count': int(array.size), **row})


def call(key, dist, n, dtype, params):
    d = DTYPES[dtype][0]
    if dist == 'uniform':
        return jax.random.uniform(key, (n,), d, params['minval'], params['maxval'])
    if dist == 'normal':
        return jax.random.normal(key, (n,), d)
    return jax.random.truncated_normal(key, params['lower'], params['upper'], (n,), d)


cases = [('normal', {})] + [('truncatedNormal', {'lower': lo, 'upper': hi}) for lo, hi in [(-2.0, 2.0), (-1.5, 3.25), (0.5, 7.0), (0.0, float('inf'))]]
cases += [('uniform', {'minval': lo, 'maxval': hi}) for lo, hi in [(-0.3, 0.7), (3.7, 1000.1)]]

# Exhaustive: word k of the bit source is the k-th mantissa pattern in the position the sampler reads.
original = random_core._random_bits
key = jax.random.key(0)
for dtype, (_, _, n, bits) in DTYPES.items():
    words = np.arange(n, dtype=np.uint32)
    source = {32: (words << 9).astype(np.uint32), 16: (words << 6).astype(np.uint16), 8: (words << 1).astype(np.uint8)}[bits]
    random_core._random_bits = lambda _key, _width, shape, s=source: jnp.asarray(s).reshape(shape)
    jax.clear_caches()
    for dist, params in cases:
        save(f'exhaustive-{dist}-{dtype}-{len(rows)}', call(key, dist, n, dtype, params), kind='exhaustive', dist=dist, dtype=dtype,
             params={k: str(v) for k, v in params.items()})
random_core._random_bits = original
jax.clear_caches()

# Real streams.
for impl, dist, dtype, params in [
    ('threefry2x32', 'normal', 'f32', {}),
    ('philox4x32', 'truncatedNormal', 'f32', {'lower': -2.0, 'upper': 2.0}),
    ('threefry2x32', 'truncatedNormal', 'bf16', {'lower': -3.0, 'upper': 1.0}),
]:
    k = jax.random.key(2024, impl=impl)
    save(f'stream-{impl}-{dist}-{dtype}', call(k, dist, N, dtype, params), kind='stream', impl=impl, seed=2024, dist=dist, dtype=dtype,
         params={k: str(v) for k, v in params.items()})

with open(os.path.join(OUT, 'manifest.json'), 'w') as f:
    json.dump({'jax': jax.__version__, 'rows': rows}, f, indent=1)
print(f'{OUT}: {len(rows)} rows', file=sys.stderr)
