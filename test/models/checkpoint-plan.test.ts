// The Hugging Face checkpoint layout from names, dtypes and shapes: shard sizes as HF parses them, the split
// (tensors whole, in order, oversized ones alone), HF's file names and the index text.
import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../src/errors.js';
import {
  type CheckpointEntry,
  encodeCheckpointIndex,
  isCheckpointFileName,
  parseShardSize,
  planCheckpoint,
  shardFileName,
} from '../../src/models/checkpoint-plan.js';

describe('parseShardSize', () => {
  it.each([
    ['5GB', 5_000_000_000],
    ['100MB', 100_000_000],
    ['2GiB', 2 * 2 ** 30],
    ['1.5GB', 1_500_000_000],
    ['10KB', 10_000],
    ['3mib', 3 * 2 ** 20],
    ['1TB', 1e12],
    ['4096', 4096],
    [' 7 KiB ', 7 * 1024],
    [123, 123],
  ])('%s → %d bytes (KB/MB/GB decimal, KiB/MiB/GiB binary, as Hugging Face)', (text, bytes) => {
    expect(parseShardSize(text)).toBe(bytes);
  });

  it.each([['0'], ['5Gb'], ['10kb'], ['5 bits'], ['GB'], ['-1GB'], ['1e3MB'], ['5XB'], [0], [1.5], [-3], [null], ['']])(
    'rejects %j with the accepted forms (a lowercase final b: bits in transformers, bytes in huggingface_hub)',
    (bad) => {
      expect(() => parseShardSize(bad, 'max-shard-size')).toThrow(InvalidParameterError);
      expect(() => parseShardSize(bad, 'max-shard-size')).toThrow(/max-shard-size: .*KB, MB, GB, TB \(powers of 10\) or KiB, MiB, GiB, TiB \(powers of 2\)/);
    },
  );
});

const t = (name: string, numel: number, dtype: CheckpointEntry['dtype'] = 'f32'): CheckpointEntry => ({ name, shape: [numel], dtype });

describe('planCheckpoint', () => {
  it('one file named model.safetensors and no index when everything fits', () => {
    const p = planCheckpoint([t('a', 10), t('b', 15)], 100);
    expect(p.files.map((f) => [f.name, f.tensors.map((x) => x.name), f.dataBytes])).toEqual([['model.safetensors', ['a', 'b'], 100]]);
    expect(p.index).toBeNull();
    expect(p.totalSize).toBe(100);
  });

  it('splits in order without splitting tensors; a shard is at most the limit unless one tensor is bigger', () => {
    // bytes: a 40, b 40, c 40, d 200 (alone), e 8 (bf16, 4 elements), f 60
    const tensors = [t('a', 10), t('b', 10), t('c', 10), t('d', 50), t('e', 4, 'bf16'), t('f', 15)];
    const p = planCheckpoint(tensors, 100);
    expect(p.files.map((f) => [f.name, f.tensors.map((x) => x.name), f.dataBytes])).toEqual([
      ['model-00001-of-00004.safetensors', ['a', 'b'], 80],
      ['model-00002-of-00004.safetensors', ['c'], 40],
      ['model-00003-of-00004.safetensors', ['d'], 200],
      ['model-00004-of-00004.safetensors', ['e', 'f'], 68],
    ]);
    expect(p.totalSize).toBe(40 * 3 + 200 + 8 + 60);
    expect(p.index).toEqual({
      metadata: { total_size: 388 },
      weight_map: {
        a: 'model-00001-of-00004.safetensors',
        b: 'model-00001-of-00004.safetensors',
        c: 'model-00002-of-00004.safetensors',
        d: 'model-00003-of-00004.safetensors',
        e: 'model-00004-of-00004.safetensors',
        f: 'model-00004-of-00004.safetensors',
      },
    });
  });

  it('a shard exactly at the limit is kept whole (HF splits only when the size would pass it)', () => {
    const p = planCheckpoint([t('a', 25), t('b', 25), t('c', 1)], 200);
    expect(p.files.map((f) => f.tensors.length)).toEqual([2, 1]);
  });

  it('the default limit is 5GB = 5·10^9 bytes', () => {
    expect(planCheckpoint([t('a', 1)]).maxShardSize).toBe(5e9);
  });

  it('names files as HF does and recognizes them', () => {
    expect(shardFileName(3, 12)).toBe('model-00003-of-00012.safetensors');
    for (const n of ['model.safetensors', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors']) expect(isCheckpointFileName(n)).toBe(true);
    for (const n of ['config.json', 'model-1-of-2.safetensors', 'other.safetensors', 'model.safetensors.partial-1-x'])
      expect(isCheckpointFileName(n)).toBe(false);
  });

  it('rejects duplicate names', () => {
    expect(() => planCheckpoint([t('a', 1), t('a', 2)], 10)).toThrow(/tensors\[1\]\.name/);
  });
});

describe('encodeCheckpointIndex', () => {
  it('is json.dumps(index, indent=2, sort_keys=True) + newline: keys by code point, non-ASCII escaped', () => {
    const p = planCheckpoint([t('b', 10), t('é', 10), t('a', 10), t('😀', 10)], 40);
    expect(encodeCheckpointIndex(p.index!)).toBe(
      [
        '{',
        '  "metadata": {',
        '    "total_size": 160',
        '  },',
        '  "weight_map": {',
        '    "a": "model-00003-of-00004.safetensors",',
        '    "b": "model-00001-of-00004.safetensors",',
        '    "\\u00e9": "model-00002-of-00004.safetensors",',
        '    "\\ud83d\\ude00": "model-00004-of-00004.safetensors"',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });
});
