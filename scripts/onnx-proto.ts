// Generates src/output/onnx/proto/onnx_pb.ts from ONNX's own schema, src/output/onnx/proto/onnx.proto (copied from the
// onnx 1.23.1 Python package, where it is generated from onnx.in.proto; Apache-2.0, SPDX header kept), with buf and
// @bufbuild/protoc-gen-es (both npm dev dependencies, pinned in package-lock.json). The graph builders encode with
// the generated descriptors and @bufbuild/protobuf's runtime, so no protobuf field number is written by hand.
//   npx tsx scripts/onnx-proto.ts          regenerate
//   npx tsx scripts/onnx-proto.ts --check  exit 1 if the committed file differs from a fresh generation
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const PROTO_DIR = join(ROOT, 'src/output/onnx/proto');
const GENERATED = join(PROTO_DIR, 'onnx_pb.ts');
const BIN = join(ROOT, 'node_modules/.bin');

/** Runs buf generate into `out` and returns the generated file's text. */
export function generateOnnxProto(out: string): string {
  const template = JSON.stringify({ version: 'v2', plugins: [{ local: join(BIN, 'protoc-gen-es'), out, opt: ['target=ts', 'import_extension=js'] }] });
  execFileSync(join(BIN, 'buf'), ['generate', PROTO_DIR, '--template', template], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return readFileSync(join(out, 'onnx_pb.ts'), 'utf8');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const tmp = mkdtempSync(join(tmpdir(), 'onnx-proto-'));
  try {
    const text = generateOnnxProto(tmp);
    if (process.argv.includes('--check')) {
      if (text !== readFileSync(GENERATED, 'utf8')) {
        console.error(`${GENERATED} differs from a fresh generation: run npx tsx scripts/onnx-proto.ts`);
        process.exit(1);
      }
      console.error('onnx_pb.ts is up to date');
    } else {
      writeFileSync(GENERATED, text);
      console.error(`wrote ${GENERATED}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
