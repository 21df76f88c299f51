// src/output/onnx/proto/onnx_pb.ts is what buf + protoc-gen-es (the pinned dev dependencies) generate from the
// vendored onnx.proto today: no hand edit, no stale copy.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateOnnxProto } from '../../scripts/onnx-proto.js';

describe('scripts/onnx-proto.ts', () => {
  it('regenerates the committed onnx_pb.ts byte for byte from onnx.proto', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'wwi-onnx-proto-'));
    try {
      const committed = readFileSync(resolve(import.meta.dirname, '../../src/output/onnx/proto/onnx_pb.ts'), 'utf8');
      const fresh = generateOnnxProto(tmp);
      expect(fresh.length).toBeGreaterThan(10_000);
      expect(fresh === committed).toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
