// SHA-1 against the FIPS 180-2 example digests (Appendix A: "abc", the 448-bit message, one million 'a').
import { describe, expect, it } from 'vitest';
import { sha1 } from '../../src/contract/sha1.js';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('sha1', () => {
  it('gives the FIPS 180-2 example digests, and the empty message', () => {
    expect(hex(sha1(utf8('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(hex(sha1(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe('84983e441c3bd26ebaae4aa1f95129e5e54670f1');
    expect(hex(sha1(utf8('a'.repeat(1_000_000))))).toBe('34aa973cd4c4daa4f61eeb2bdbad27316534016f');
    expect(hex(sha1(new Uint8Array(0)))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709');
  });

  it('pads every length around a block boundary (55, 56, 63, 64, 65 bytes) as a second block needs', () => {
    // Digests of 'a' repeated n times (computed with Python's hashlib).
    const want: Record<number, string> = {
      55: 'c1c8bbdc22796e28c0e15163d20899b65621d65a',
      56: 'c2db330f6083854c99d4b5bfb6e8f29f201be699',
      63: '03f09f5b158a7a8cdad920bddc29b81c18a551f5',
      64: '0098ba824b5c16427bd7a1122a5a442a25ec644d',
      65: '11655326c708d70319be2610e8a57d9a5b959d3b',
    };
    for (const [n, digest] of Object.entries(want)) expect(hex(sha1(utf8('a'.repeat(Number(n)))))).toBe(digest);
  });
});
