import { describe, expect, it } from 'vitest';
import { FNV1A64_OFFSET_BASIS, FNV1A64_PRIME, fnv1a64, fnv1a64Bytes, tensorStream } from '../../src/models/stream.js';
import { expectInvalid } from '../helpers/errors.js';

/** Independent reference: the FNV-1a definition with BigInt arithmetic, over TextEncoder's UTF-8. */
function referenceFnv1a64(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

describe('fnv1a64', () => {
  it('has the FNV-1a 64 constants of draft-eastlake-fnv', () => {
    expect(FNV1A64_OFFSET_BASIS).toBe(14695981039346656037n);
    expect(FNV1A64_PRIME).toBe(1099511628211n);
    expect(FNV1A64_PRIME).toBe((1n << 40n) + (1n << 8n) + 0xb3n);
  });

  // Published test vectors: draft-eastlake-fnv (used verbatim by e.g. Boost.Hash2's fnv1a test) and Landon Curt
  // Noll's test_fnv.c: "" is the offset basis; "a", "b", "foobar".
  it.each([
    ['', 0xcbf29ce484222325n],
    ['a', 0xaf63dc4c8601ec8cn],
    ['b', 0xaf63df4c8601f1a5n],
    ['foobar', 0x85944171f73967e8n],
  ])('published vector %j', (s, h) => {
    expect(fnv1a64(s)).toBe(h);
    expect(referenceFnv1a64(new TextEncoder().encode(s))).toBe(h);
  });

  // Values computed independently with Python: h ^= b; h = h * 0x100000001b3 % 2**64 over s.encode('utf-8').
  it.each([
    ['foo', 0xdcb27518fed9d577n],
    ['conv1.weight', 0x69a29a2cee47d254n],
    ['h.0.attn.c_attn.weight', 0x7d7dc66305e9207dn],
    ['model.embed_tokens.weight', 0xa88fd795d5c6d156n],
    ['poids.é', 0x58495dec68c5539cn], // é = C3 A9
    ['層.0.重み', 0xda98282813aa2187n], // 3-byte UTF-8 sequences
    ['emoji😀.w', 0x40b1e983452209a7n], // a 4-byte sequence from a surrogate pair
  ])('UTF-8 bytes of %j', (s, h) => {
    expect(fnv1a64(s)).toBe(h);
  });

  it('agrees with a BigInt reference on every byte value and on long inputs', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    expect(fnv1a64Bytes(all)).toBe(referenceFnv1a64(all));
    for (let n = 0; n < 300; n += 7) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 131 + n * 17 + 255) & 0xff);
      expect(fnv1a64Bytes(bytes)).toBe(referenceFnv1a64(bytes));
    }
    const long = `${'x'.repeat(1024)}é😀`;
    expect(fnv1a64(long)).toBe(referenceFnv1a64(new TextEncoder().encode(long)));
  });

  it('encodes UTF-8 exactly as TextEncoder at every sequence-length boundary', () => {
    const codePoints = [0, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff];
    for (const cp of codePoints) {
      const s = `w.${String.fromCodePoint(cp)}.b`;
      expect(fnv1a64(s), cp.toString(16)).toBe(referenceFnv1a64(new TextEncoder().encode(s)));
    }
    // Pseudo-random well-formed strings over the whole code space.
    let x = 12345;
    for (let n = 0; n < 200; n++) {
      let s = '';
      for (let k = 0; k < n % 17; k++) {
        x = (x * 1103515245 + 12345) % 2147483648;
        let cp = x % 0x110000;
        if (cp >= 0xd800 && cp <= 0xdfff) cp -= 0x800;
        s += String.fromCodePoint(cp);
      }
      expect(fnv1a64(s)).toBe(referenceFnv1a64(new TextEncoder().encode(s)));
    }
  });

  it('does not normalize: NFC and NFD spellings are different names', () => {
    const nfc = 'caf\u00e9';
    const nfd = 'cafe\u0301';
    expect(nfc.normalize('NFD')).toBe(nfd);
    expect(fnv1a64(nfc)).not.toBe(fnv1a64(nfd));
  });

  it('rejects strings with lone surrogates (no UTF-8 encoding) and non-strings', () => {
    expectInvalid(() => fnv1a64('a\uD800'), 'name');
    expectInvalid(() => fnv1a64('\uDC00b'), 'name');
    expectInvalid(() => fnv1a64('x\uDC00\uD800', 'tensors[0].name'), 'tensors[0].name');
    expectInvalid(() => fnv1a64(42 as unknown as string), 'name');
    expect(fnv1a64('\uD83D\uDE00')).toBe(referenceFnv1a64(new Uint8Array([0xf0, 0x9f, 0x98, 0x80])));
  });
});

describe('tensorStream', () => {
  it('is fnv1a64(name) unless overridden', () => {
    expect(tensorStream('wte.weight')).toBe(fnv1a64('wte.weight'));
    expect(tensorStream('wte.weight', 7)).toBe(7n);
    expect(tensorStream('wte.weight', '18446744073709551615')).toBe(2n ** 64n - 1n);
    expect(tensorStream('wte.weight', 5n)).toBe(5n);
  });

  it('validates the override as a u64', () => {
    expectInvalid(() => tensorStream('w', -1, 'tensors[2].stream'), 'tensors[2].stream');
    expectInvalid(() => tensorStream('w', '0x10', 'tensors[2].stream'), 'tensors[2].stream');
    expectInvalid(() => tensorStream('w', 2n ** 64n, 'tensors[2].stream'), 'tensors[2].stream');
    expectInvalid(() => tensorStream('w', 1.5, 'tensors[2].stream'), 'tensors[2].stream');
  });
});
