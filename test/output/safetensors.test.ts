// safetensors: files written from GPU buffers (SwiftShader) read back and compared with the CPU twin bit for
// bit, the header byte for byte against the reference implementation's own test vectors, bounded host
// memory while streaming, aborts and failing sinks, and a catalogue of hostile headers.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bits } from '../../src/contract/distributions.js';
import { BufferTooSmallError, BufferUsageError, GPUValidationError, InvalidParameterError } from '../../src/errors.js';
import type { WeightInitContext } from '../../src/gpu/context.js';
import { BufferUsage } from '../../src/gpu/flags.js';
import { initialize as initializeGpu } from '../../src/gpu/initialize.js';
import type { FloatDType, InitializeOptions } from '../../src/init/plan-initialize.js';
import { fileSink, readSafetensorsHeaderFromFile, readSafetensorsTensorBytes, writeSafetensorsFile } from '../../src/output/node/safetensors-file.js';
import { encodeHeader, SafetensorsFormatError, type SafetensorsProblem } from '../../src/output/safetensors/format.js';
import { headerToJson, parseSafetensorsHeader, readSafetensorsHeaderFromBlob, safetensorsHeaderSize } from '../../src/output/safetensors/parser.js';
import { blobSink, type SafetensorsSink, writableStreamSink } from '../../src/output/safetensors/sinks.js';
import { type SafetensorsTensor, writeSafetensors } from '../../src/output/safetensors/writer.js';
import { generate } from '../../src/twin/generate.js';
import { initialize as initializeCpu } from '../../src/twin/initialize.js';
import { fillCanary, inErrorScope, nodeContext, type Scope } from '../helpers/gpu.js';

let ctx: WeightInitContext;
let dir: string;
beforeAll(async () => {
  ctx = await nodeContext();
  dir = await mkdtemp(join(tmpdir(), 'wwi-safetensors-'));
});
afterAll(async () => {
  ctx?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const ascii = (s: string): number[] => [...new TextEncoder().encode(s)];

interface Spec {
  name: string;
  dtype: FloatDType;
  shape: number[];
  init: InitializeOptions['init'];
  stream: bigint;
}

const SEED = 20240611n;
// f32, f16 with an odd count, bf16, eye in f16 (odd count), a scalar and an empty tensor; with u32 bits below.
const SPECS: Spec[] = [
  { name: 'layer.0.weight', dtype: 'f32', shape: [64, 33], init: { kind: 'kaimingUniform', a: Math.sqrt(5) }, stream: 1n },
  { name: 'layer.0.bias', dtype: 'f16', shape: [3, 77], init: { kind: 'normal', std: 0.02 }, stream: 2n },
  { name: 'embed', dtype: 'bf16', shape: [257], init: { kind: 'truncatedNormal', std: 0.02 }, stream: 3n },
  { name: 'proj', dtype: 'f16', shape: [5, 5], init: { kind: 'eye' }, stream: 4n },
  { name: 'scale', dtype: 'f32', shape: [], init: { kind: 'ones' }, stream: 5n },
];
const BITS_COUNT = 9;

function expectedBytes(name: string): Uint8Array {
  if (name === 'empty') return new Uint8Array(0);
  if (name === 'bits') return bytesOf(generate({ seed: SEED, stream: 6n, count: BITS_COUNT, dist: bits() }));
  const s = SPECS.find((x) => x.name === name)!;
  return bytesOf(initializeCpu({ init: s.init, shape: s.shape, seed: SEED, stream: s.stream, dtype: s.dtype }));
}

/**
 * Initializes the tensors on the GPU: the f16 bias at byte offset 2 and the bf16 embedding right behind it
 * at offset 2 + 462 = 464... + 2, so both share words with each other and with canary bytes.
 */
async function gpuTensors(scope: Scope): Promise<SafetensorsTensor[]> {
  const out: SafetensorsTensor[] = [];
  const shared = scope.buffer(1200, 'shared f16/bf16');
  fillCanary(ctx.device, shared, 0xa5a5a5a5);
  const offsets: Record<string, number> = { 'layer.0.bias': 2, embed: 466 };
  for (const s of SPECS) {
    const offset = offsets[s.name];
    const target = offset === undefined ? {} : { buffer: shared, offset };
    const r = await initializeGpu(ctx, { init: s.init, shape: s.shape, seed: SEED, stream: s.stream, dtype: s.dtype, ...target });
    if (offset === undefined) scope.track(r.buffer);
    out.push({ name: s.name, dtype: s.dtype, shape: s.shape, buffer: r.buffer, offset: r.offset, byteLength: r.byteLength });
  }
  const b = await ctx.generate({ seed: SEED, stream: 6n, count: BITS_COUNT, dist: bits(), dtype: 'u32' });
  scope.track(b.buffer);
  out.push({ name: 'bits', dtype: 'u32', shape: [3, 3], buffer: b.buffer, offset: b.offset });
  out.push({ name: 'empty', dtype: 'f32', shape: [0, 4], buffer: scope.buffer(16, 'empty') });
  return out;
}

/** A sink that keeps the chunks in memory and records how it was used. */
function memorySink() {
  const chunks: Uint8Array[] = [];
  const log: string[] = [];
  const sink: SafetensorsSink = {
    write(chunk) {
      chunks.push(chunk);
      log.push('write');
    },
    close() {
      log.push('close');
    },
    abort() {
      log.push('abort');
    },
  };
  const bytes = () => {
    const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  };
  return { sink, chunks, log, bytes };
}

describe('writeSafetensors: GPU tensors to a file, read back', () => {
  it('writes every tensor bit for bit equal to the CPU twin, through a 256-byte staging buffer', async () => {
    await inErrorScope(ctx, async (scope) => {
      const tensors = await gpuTensors(scope);
      const path = join(dir, 'model.safetensors');
      const progress: [number, number][] = [];
      const result = await writeSafetensorsFile(ctx.device, tensors, path, {
        metadata: { format: 'pt', producer: 'webgpu-weight-init', seed: String(SEED) },
        stagingBytes: 256,
        onProgress: (d, t) => progress.push([d, t]),
      });
      const file = new Uint8Array(await readFile(path));
      expect(file.length).toBe(result.totalBytes);
      expect(result.chunks).toBeGreaterThan(30); // 8448 + 462 + 514 + ... bytes through 256-byte fills
      expect(progress.length).toBe(result.chunks + 1);
      expect(progress.at(-1)).toEqual([file.length, file.length]);
      for (let i = 1; i < progress.length; i++) expect(progress[i]![0]).toBeGreaterThan(progress[i - 1]![0]);
      expect(await readdir(dir)).toEqual(['model.safetensors']); // no partial file left behind

      // The layout by hand: 8-byte little-endian N, N bytes of JSON padded with spaces, then the data.
      const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
      expect(n % 8).toBe(0);
      expect(result.headerBytes).toBe(8 + n);
      const text = new TextDecoder().decode(file.subarray(8, 8 + n));
      const json = text.trimEnd();
      expect(text.slice(json.length)).toMatch(/^ {0,7}$/);
      const header = JSON.parse(json) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
      // __metadata__ first, then the tensors in the reference writer's order: dtype alignment, then name.
      expect(Object.keys(header)).toEqual(['__metadata__', 'empty', 'layer.0.weight', 'scale', 'bits', 'embed', 'layer.0.bias', 'proj']);
      expect(header['__metadata__']).toEqual({ format: 'pt', producer: 'webgpu-weight-init', seed: String(SEED) });
      let end = 0;
      for (const [name, info] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        const t = tensors.find((x) => x.name === name)!;
        expect(info.dtype).toBe({ f32: 'F32', f16: 'F16', bf16: 'BF16', u32: 'U32' }[t.dtype]);
        expect(info.shape).toEqual(t.shape);
        expect(info.data_offsets[0]).toBe(end);
        expect(info.data_offsets[0] % { f32: 4, u32: 4, f16: 2, bf16: 2 }[t.dtype]).toBe(0);
        end = info.data_offsets[1];
        const data = file.subarray(8 + n + info.data_offsets[0], 8 + n + info.data_offsets[1]);
        expect(Buffer.from(data).equals(Buffer.from(expectedBytes(name))), `${name}: bytes equal to the CPU twin`).toBe(true);
      }
      expect(8 + n + end).toBe(file.length);

      // The validating readers agree.
      const parsed = parseSafetensorsHeader(file, { fileSize: file.length });
      expect(parsed.headerSize).toBe(n);
      expect(parsed.dataBytes).toBe(end);
      expect(parsed.metadata).toEqual(header['__metadata__']);
      expect(parsed.tensors.map((t) => t.name)).toEqual(['empty', 'layer.0.weight', 'scale', 'bits', 'embed', 'layer.0.bias', 'proj']);
      expect(await readSafetensorsHeaderFromFile(path)).toEqual(parsed);
      const raw = headerToJson(parsed);
      expect(raw).toEqual(header);
      expect(Object.keys(raw)).toEqual(Object.keys(header));
      for (const t of parsed.tensors) {
        expect(Buffer.from(await readSafetensorsTensorBytes(path, parsed, t.name)).equals(Buffer.from(expectedBytes(t.name)))).toBe(true);
      }
    });
  });

  it('writes the same bytes for every staging size (4 bytes up) and to every sink', async () => {
    await inErrorScope(ctx, async (scope) => {
      const tensors = await gpuTensors(scope);
      const reference = memorySink();
      await writeSafetensors(ctx.device, tensors, reference.sink);
      expect(reference.log).toEqual(['write', 'write', 'close']); // header, one fill of everything
      const want = Buffer.from(reference.bytes());
      for (const stagingBytes of [1, 4, 6, 100, 462, 4096]) {
        const m = memorySink();
        const r = await writeSafetensors(ctx.device, tensors, m.sink, { stagingBytes });
        expect(Buffer.from(m.bytes()).equals(want), `stagingBytes ${stagingBytes}`).toBe(true);
        for (const c of m.chunks.slice(1)) expect(c.length).toBeLessThanOrEqual(Math.max(4, Math.ceil(stagingBytes / 4) * 4));
        expect(r.chunks).toBe(m.chunks.length - 1);
      }
      const blob = blobSink();
      await writeSafetensors(ctx.device, tensors, blob, { stagingBytes: 100 });
      expect(Buffer.from(await blob.blob().arrayBuffer()).equals(want)).toBe(true);
      expect(await readSafetensorsHeaderFromBlob(blob.blob())).toEqual(parseSafetensorsHeader(reference.bytes(), { fileSize: want.length }));

      const parts: Uint8Array[] = [];
      let closed = false;
      const sink = {
        write: (c: Uint8Array) => void parts.push(c),
        close: () => {
          closed = true;
        },
      };
      const stream = new WritableStream<Uint8Array>(sink, { highWaterMark: 1 });
      await writeSafetensors(ctx.device, tensors, writableStreamSink(stream), { stagingBytes: 100 });
      expect(closed).toBe(true);
      expect(Buffer.concat(parts).equals(want)).toBe(true);

      // order: 'given' keeps the list's order (here misaligning nothing: it only matters for readers).
      const given = memorySink();
      const g = await writeSafetensors(ctx.device, tensors, given.sink, { order: 'given' });
      expect(g.order).toEqual(tensors.map((t) => t.name));
      const p = parseSafetensorsHeader(given.bytes(), { fileSize: given.bytes().length });
      for (const t of p.tensors) {
        const d = given.bytes().subarray(p.dataOffset + t.dataOffsets[0], p.dataOffset + t.dataOffsets[1]);
        expect(Buffer.from(d).equals(Buffer.from(expectedBytes(t.name))), t.name).toBe(true);
      }
    });
  });

  it('keeps host memory at the staging size: 64 MiB tensor through 1 MiB staging', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const count = 16 << 20; // 16 Mi f32 = 64 MiB
    const stagingBytes = 1 << 20;
    await inErrorScope(ctx, async (scope) => {
      const init = { kind: 'uniform', low: -1, high: 1 } as const;
      const w = await initializeGpu(ctx, { init, shape: [4096, 4096], seed: SEED, stream: 9n });
      scope.track(w.buffer);
      gc();
      const base = process.memoryUsage().arrayBuffers;
      let peak = 0;
      let header = true;
      let element = 0;
      let mismatched = -1;
      let largest = 0;
      const sink: SafetensorsSink = {
        write(chunk) {
          gc();
          peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
          if (header) {
            header = false;
            return;
          }
          largest = Math.max(largest, chunk.length);
          const want = bytesOf(initializeCpu({ init, shape: [4096, 4096], seed: SEED, stream: 9n, start: element, count: chunk.length / 4 }));
          if (mismatched < 0 && !Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).equals(Buffer.from(want.buffer, want.byteOffset, want.length)))
            mismatched = element;
          element += chunk.length / 4;
        },
      };
      const r = await writeSafetensors(ctx.device, [{ name: 'w', dtype: 'f32', shape: [4096, 4096], buffer: w.buffer }], sink, { stagingBytes });
      expect(r.chunks).toBe(64);
      expect(largest).toBe(stagingBytes);
      expect(element).toBe(count);
      expect(mismatched, 'first element differing from the CPU twin').toBe(-1);
      // Live at any write: the chunk handed over, the one being copied out, the mapped staging range.
      console.log(`safetensors streaming: peak arrayBuffers growth ${peak} bytes for a 64 MiB tensor`);
      expect(peak, `peak arrayBuffers growth ${peak} bytes`).toBeLessThan(8 * stagingBytes);
    });
  });
});

describe('writeSafetensors: failures', () => {
  it('stops at an abort: sink aborted, no partial file, GPU objects released', async () => {
    await inErrorScope(ctx, async (scope) => {
      const tensors = await gpuTensors(scope);
      const controller = new AbortController();
      const m = memorySink();
      let writes = 0;
      const sink: SafetensorsSink = {
        ...m.sink,
        write(chunk) {
          if (++writes === 3) controller.abort();
          return m.sink.write(chunk);
        },
      };
      await expect(writeSafetensors(ctx.device, tensors, sink, { stagingBytes: 64, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(m.log.at(-1)).toBe('abort');
      expect(m.log).not.toContain('close');
      expect(writes).toBeLessThanOrEqual(4);

      const sub = await mkdtemp(join(dir, 'abort-'));
      const c2 = new AbortController();
      let n = 0;
      await expect(
        writeSafetensorsFile(ctx.device, tensors, join(sub, 'm.safetensors'), {
          stagingBytes: 64,
          signal: c2.signal,
          onProgress: () => void (++n === 2 && c2.abort(new Error('stop'))),
        }),
      ).rejects.toThrow('stop');
      expect(await readdir(sub)).toEqual([]);
      // An already aborted signal writes nothing.
      const m3 = memorySink();
      await expect(writeSafetensors(ctx.device, tensors, m3.sink, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
      expect(m3.log).toEqual(['abort']);
    });
  });

  it('reports a failing sink and aborts it', async () => {
    await inErrorScope(ctx, async (scope) => {
      const tensors = await gpuTensors(scope);
      const log: string[] = [];
      let writes = 0;
      const boom = new Error('disk full');
      const sink: SafetensorsSink = {
        async write() {
          if (++writes === 4) throw boom;
          log.push('write');
        },
        close: () => void log.push('close'),
        abort: (e) => void log.push(`abort ${(e as Error).message}`),
      };
      await expect(writeSafetensors(ctx.device, tensors, sink, { stagingBytes: 128 })).rejects.toBe(boom);
      expect(log).toEqual(['write', 'write', 'write', 'abort disk full']);
      // The device still works.
      const m = memorySink();
      await writeSafetensors(ctx.device, tensors, m.sink, { stagingBytes: 128 });
      expect(m.log.at(-1)).toBe('close');
    });
  });

  it('stops at a destroyed source buffer before handing its bytes to the sink', async () => {
    await inErrorScope(ctx, async (scope) => {
      const a = scope.buffer(4096, 'a');
      const b = ctx.device.createBuffer({ label: 'destroyed', size: 4096, usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC });
      b.destroy();
      const m = memorySink();
      const tensors: SafetensorsTensor[] = [
        { name: 'a', dtype: 'f32', shape: [1024], buffer: a },
        { name: 'b', dtype: 'f32', shape: [1024], buffer: b },
      ];
      const err = await writeSafetensors(ctx.device, tensors, m.sink, { stagingBytes: 1024 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GPUValidationError);
      expect((err as Error).message).toContain('"destroyed"');
      expect(m.chunks.reduce((s, c) => s + c.length, 0)).toBe(
        encodeHeader([
          { name: 'a', dtype: 'f32', shape: [1024] },
          { name: 'b', dtype: 'f32', shape: [1024] },
        ]).bytes.length + 4096,
      );
      expect(m.log.at(-1)).toBe('abort');
    });
  });

  it('checks every input before writing anything', async () => {
    await inErrorScope(ctx, async (scope) => {
      const ok = scope.buffer(64);
      const noCopy = scope.track(ctx.device.createBuffer({ size: 64, usage: BufferUsage.STORAGE }));
      const t = (o: Partial<SafetensorsTensor>): SafetensorsTensor => ({ name: 'w', dtype: 'f32', shape: [4], buffer: ok, ...o });
      const cases: [string, SafetensorsTensor[], Record<string, unknown>, new (...a: never[]) => Error][] = [
        ['duplicate name', [t({}), t({})], {}, InvalidParameterError],
        ['reserved name', [t({ name: '__metadata__' })], {}, InvalidParameterError],
        ['lone surrogate', [t({ name: 'w\ud800' })], {}, InvalidParameterError],
        ['unknown dtype', [t({ dtype: 'f64' as never })], {}, InvalidParameterError],
        ['negative dim', [t({ shape: [-1] })], {}, InvalidParameterError],
        ['fractional dim', [t({ shape: [1.5] })], {}, InvalidParameterError],
        ['byteLength mismatch', [t({ byteLength: 12 })], {}, InvalidParameterError],
        ['negative offset', [t({ offset: -4 })], {}, InvalidParameterError],
        ['no COPY_SRC', [t({ buffer: noCopy })], {}, BufferUsageError],
        ['too small', [t({ shape: [17] })], {}, BufferTooSmallError],
        ['too small at offset', [t({ shape: [3], dtype: 'f16', offset: 60 })], {}, BufferTooSmallError],
        ['non-string metadata', [t({})], { metadata: { epoch: 3 } }, InvalidParameterError],
        ['array metadata', [t({})], { metadata: ['a'] }, InvalidParameterError],
        ['zero staging', [t({})], { stagingBytes: 0 }, InvalidParameterError],
        ['bad order', [t({})], { order: 'name' }, InvalidParameterError],
      ];
      for (const [what, tensors, options, type] of cases) {
        const m = memorySink();
        await expect(writeSafetensors(ctx.device, tensors, m.sink, options as never), what).rejects.toBeInstanceOf(type);
        expect(m.log, what).toEqual([]);
      }
    });
  });
});

describe('encodeHeader: the reference implementation test vectors (safetensors/src/tensor.rs tests)', () => {
  it('test_serialization: attn.0 F32 [1,2,3], a 64-byte header that needs no padding', () => {
    const h = encodeHeader([{ name: 'attn.0', dtype: 'f32', shape: [1, 2, 3] }]);
    expect([...h.bytes]).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97,
      112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125,
    ]);
  });
  it('test_serialization_forced_alignement: attn0 F32 [1,1,2,3], padded with 7 spaces to 72 bytes', () => {
    const h = encodeHeader([{ name: 'attn0', dtype: 'f32', shape: [1, 1, 2, 3] }]);
    expect([...h.bytes]).toEqual([
      72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112,
      101, 34, 58, 91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125,
      125, 32, 32, 32, 32, 32, 32, 32,
    ]);
  });
  it('test_empty: no tensors, with and without metadata', () => {
    expect([...encodeHeader([]).bytes]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    expect([...encodeHeader([], { metadata: { framework: 'pt' } }).bytes]).toEqual([
      40, 0, 0, 0, 0, 0, 0, 0, 123, 34, 95, 95, 109, 101, 116, 97, 100, 97, 116, 97, 95, 95, 34, 58, 123, 34, 102, 114, 97, 109, 101, 119, 111, 114, 107, 34,
      58, 34, 112, 116, 34, 125, 125, 32, 32, 32, 32, 32,
    ]);
    expect(parseSafetensorsHeader(encodeHeader([], { metadata: { framework: 'pt' } }).bytes, { fileSize: 48 })).toEqual({
      headerSize: 40,
      dataOffset: 48,
      dataBytes: 0,
      tensors: [],
      metadata: { framework: 'pt' },
    });
  });
  it('sorts like the reference: by dtype alignment descending, then by name in UTF-8 byte order', () => {
    const h = encodeHeader([
      { name: 'b', dtype: 'f16', shape: [3] },
      { name: 'a', dtype: 'f16', shape: [1] },
      { name: 'c', dtype: 'bf16', shape: [1] },
      { name: '\u{1F600}', dtype: 'f32', shape: [2] }, // U+1F600 sorts after U+FFFD in UTF-8, before it in UTF-16
      { name: '\uFFFD', dtype: 'f32', shape: [2] },
      { name: 'z', dtype: 'u32', shape: [1] },
    ]);
    expect(h.order).toEqual(['\uFFFD', '\u{1F600}', 'z', 'c', 'a', 'b']);
    expect([...h.dataOffsets.values()]).toEqual([
      [0, 8],
      [8, 16],
      [16, 20],
      [20, 22],
      [22, 24],
      [24, 30],
    ]);
    expect(h.dataBytes).toBe(30);
  });
  it('escapes names and metadata as JSON, and a reader gets them back', () => {
    const names = ['quote"back\\slash', 'new\nline', 'tab\t\u0001', 'ünïcödé 名前', '__proto__', ''];
    const metadata = { 'k"1': 'v\n1', __proto__x: '😀', empty: '' };
    const h = encodeHeader(
      names.map((name) => ({ name, dtype: 'f32', shape: [1] })),
      { metadata },
    );
    const p = parseSafetensorsHeader(new Uint8Array([...h.bytes, ...new Uint8Array(4 * names.length)]), { fileSize: h.bytes.length + 4 * names.length });
    expect(p.tensors.map((t) => t.name).sort()).toEqual([...names].sort());
    expect(p.metadata).toEqual(metadata);
  });
});

// ---------------------------------------------------------------------------------------------------
// hostile headers

/** A file: 8-byte N (the header's length unless given), the header, `data` zero bytes. */
function file(header: string | Uint8Array, data = 0, n?: bigint): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const out = new Uint8Array(8 + h.length + data);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.length), true);
  out.set(h, 8);
  return out;
}
const entry = (dtype: string, shape: unknown, offsets: unknown) => JSON.stringify({ dtype, shape, data_offsets: offsets });

function problem(bytes: Uint8Array, options: { fileSize?: number; maxHeaderBytes?: number } = { fileSize: bytes.length }): SafetensorsProblem {
  try {
    parseSafetensorsHeader(bytes, options);
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsFormatError);
    expect(e).toBeInstanceOf(InvalidParameterError);
    const err = e as SafetensorsFormatError;
    expect(err.code).toBe('InvalidParameter');
    expect(err.message).toMatch(/^safetensors .+: got .+; expected .+/);
    return err.problem;
  }
  throw new Error('parsed without error');
}

describe('parseSafetensorsHeader: hostile headers', () => {
  const ok = `{"a":${entry('F32', [2], [0, 8])}}`;

  it('accepts well-formed headers, padded or not, with empty and scalar tensors', () => {
    expect(parseSafetensorsHeader(file(ok, 8), { fileSize: 8 + ok.length + 8 }).tensors).toEqual([
      { name: 'a', dtype: 'F32', shape: [2], dataOffsets: [0, 8], byteLength: 8 },
    ]);
    const spaced = ` \n{ "__metadata__" : null , "e" : ${entry('BF16', [0, 3], [0, 0])}, "s": ${entry('F64', [], [0, 8])} }\t  `;
    const p = parseSafetensorsHeader(file(spaced, 8));
    expect(p.tensors.map((t) => [t.name, t.byteLength])).toEqual([
      ['e', 0],
      ['s', 8],
    ]);
    expect(p.metadata).toEqual({});
    // Every reference dtype parses, sub-byte ones when the count fills whole bytes.
    const all = `{"x":${entry('F4', [2, 3], [0, 3])},"y":${entry('F6_E2M3', [4], [3, 6])},"z":${entry('C64', [1], [6, 14])},"w":${entry('F8_E8M0', [1], [14, 15])}}`;
    expect(parseSafetensorsHeader(file(all, 15)).dataBytes).toBe(15);
    // Without fileSize, only the header's own consistency is checked.
    expect(parseSafetensorsHeader(file(ok)).dataBytes).toBe(8);
  });

  it('rejects lengths before allocating: too small, too large, longer than the file or the bytes', () => {
    expect(problem(new Uint8Array(7), {})).toBe('HeaderTooSmall');
    expect(problem(file(ok), { fileSize: 7 })).toBe('HeaderTooSmall');
    expect(problem(file('', 0, 0xffffffffffffffffn).subarray(0, 8), {})).toBe('HeaderTooLarge');
    expect(problem(file('', 0, 100_000_001n).subarray(0, 8), {})).toBe('HeaderTooLarge');
    expect(problem(file(ok), { maxHeaderBytes: 16 })).toBe('HeaderTooLarge');
    expect(problem(file(ok, 0, 50_000_000n).subarray(0, 8), { fileSize: 1000 })).toBe('HeaderLength');
    expect(problem(file(ok, 0, BigInt(ok.length + 1)))).toBe('HeaderLength');
    expect(problem(file(ok, 8).subarray(0, 20), {})).toBe('HeaderLength');
    expect(safetensorsHeaderSize(file(ok).subarray(0, 8))).toBe(ok.length);
  });

  it('rejects bad UTF-8, bad JSON and JSON that is not an object', () => {
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      expect(problem(file(new Uint8Array([...ascii('{"a'), ...bad, ...ascii('":1}')])))).toBe('Utf8');
    }
    expect(problem(file(new Uint8Array([0xef, 0xbb, 0xbf, ...ascii(ok)]), 8))).toBe('Json'); // a BOM is not JSON
    for (const bad of ['', '{"a":', '{"a":{}', "{'a':1}", '{"a":1,}', '{"a" 1}', `${ok}\0`, '{"a":"unterminated']) {
      expect(problem(file(bad)), JSON.stringify(bad)).toBe('Json');
    }
    for (const bad of ['[]', '"x"', 'null', '1', 'true']) expect(problem(file(bad)), bad).toBe('NotObject');
  });

  it('rejects deep nesting in linear time, without recursion', () => {
    const depth = 1_000_000;
    const t0 = performance.now();
    expect(problem(file(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`))).toBe('Depth');
    expect(problem(file(`{"a":{"dtype":"U8","shape":[[1]],"data_offsets":[0,1]}}`, 1))).toBe('Depth');
    expect(problem(file(`${'['.repeat(depth)}`))).toBe('Depth');
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('rejects unknown dtypes and malformed entries', () => {
    for (const d of ['F128', 'f32', 'float32', '', 'toString', '__proto__']) expect(problem(file(`{"a":${entry(d, [2], [0, 8])}}`, 8)), d).toBe('DType');
    expect(problem(file(`{"a":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}`, 8))).toBe('DType');
    expect(problem(file(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, 8))).toBe('DType');
    expect(problem(file(`{"a":[1,2]}`))).toBe('Entry');
    expect(problem(file(`{"a":"F32"}`))).toBe('Entry');
    expect(problem(file(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"offsets":[0,8]}}`, 8))).toBe('Entry');
  });

  it('rejects bad shapes: negative, fractional, non-integer literals, unsafe, overflowing, not arrays', () => {
    expect(problem(file(`{"a":${entry('F32', [-1], [0, 0])}}`))).toBe('Entry'); // '-1' is not a plain digit literal
    expect(problem(file(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,6]}}`, 6))).toBe('Entry');
    expect(problem(file(`{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}`, 8))).toBe('Entry');
    expect(problem(file(`{"a":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}`, 8))).toBe('Entry');
    expect(problem(file(`{"a":{"dtype":"F32","shape":[02],"data_offsets":[0,8]}}`, 8))).toBe('Json'); // JSON has no leading zeros
    expect(problem(file(`{"a":${entry('U8', [2 ** 53], [0, 0])}}`))).toBe('Shape');
    expect(problem(file(`{"a":${entry('U8', [2 ** 26, 2 ** 26, 2 ** 26], [0, 0])}}`))).toBe('Shape');
    expect(problem(file(`{"a":${entry('U8', '3', [0, 3])}}`, 3))).toBe('Shape');
    expect(problem(file(`{"a":${entry('U8', ['3'], [0, 3])}}`, 3))).toBe('Shape');
    expect(problem(file(`{"a":${entry('U8', [null], [0, 0])}}`))).toBe('Shape');
    expect(problem(file(`{"a":${entry('U8', [3], [0, 3]).replace('"shape":[3],', '')}}`, 3))).toBe('Shape');
    // A huge product with a 0 dimension is an empty tensor.
    expect(parseSafetensorsHeader(file(`{"a":${entry('U8', [2 ** 40, 2 ** 40, 0], [0, 0])}}`)).dataBytes).toBe(0);
  });

  it('rejects bad offsets, wrong byte counts, overlaps, gaps and data beyond or short of the file', () => {
    expect(problem(file(`{"a":${entry('F32', [2], [0, 8, 16])}}`, 8))).toBe('Offsets');
    expect(problem(file(`{"a":${entry('F32', [2], [8])}}`, 8))).toBe('Offsets');
    expect(problem(file(`{"a":${entry('F32', [2], { begin: 0, end: 8 })}}`, 8))).toBe('Offsets');
    expect(problem(file(`{"a":${entry('F32', [0], [8, 0])}}`, 8))).toBe('Offsets');
    expect(problem(file(`{"a":${entry('F32', [2], [0, 2 ** 53])}}`, 8))).toBe('Offsets');
    expect(problem(file(`{"a":${entry('F32', [2, 2], [0, 12])}}`, 12))).toBe('ByteCount');
    expect(problem(file(`{"a":${entry('F4', [3], [0, 2])}}`, 2))).toBe('ByteCount'); // 12 bits
    const two = (a: [number, number], b: [number, number], data: number) =>
      file(`{"a":${entry('U8', [a[1] - a[0]], a)},"b":${entry('U8', [b[1] - b[0]], b)}}`, data);
    expect(problem(two([0, 8], [4, 12], 12))).toBe('Coverage'); // overlap
    expect(problem(two([0, 8], [0, 8], 8))).toBe('Coverage'); // the same bytes twice
    expect(problem(two([0, 8], [12, 20], 20))).toBe('Coverage'); // gap
    expect(problem(two([4, 8], [8, 12], 12))).toBe('Coverage'); // does not start at 0
    expect(parseSafetensorsHeader(two([8, 16], [0, 8], 16)).tensors.map((t) => t.name)).toEqual(['b', 'a']); // any header order
    expect(problem(file(ok, 4))).toBe('FileSize'); // END beyond the file
    expect(problem(file(ok, 12))).toBe('FileSize'); // trailing bytes
    expect(problem(file(ok, 0))).toBe('FileSize');
  });

  it('rejects duplicate keys, escaped or not, at every level', () => {
    expect(problem(file(`{"a":${entry('U8', [1], [0, 1])},"a":${entry('U8', [1], [1, 2])}}`, 2))).toBe('DuplicateKey');
    expect(problem(file(`{"a":${entry('U8', [1], [0, 1])},"\\u0061":${entry('U8', [1], [1, 2])}}`, 2))).toBe('DuplicateKey');
    expect(problem(file(`{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, 1))).toBe('DuplicateKey');
    expect(problem(file(`{"__metadata__":{"k":"1","k":"2"}}`))).toBe('DuplicateKey');
    expect(problem(file(`{"__metadata__":{},"__metadata__":{}}`))).toBe('DuplicateKey');
    // Same key in different objects is fine; a key-like string value is not a key.
    expect(() => parseSafetensorsHeader(file(`{"__metadata__":{"a":"a","dtype":"x"},"a":${entry('U8', [1], [0, 1])}}`, 1))).not.toThrow();
  });

  it('rejects metadata that is not a string-to-string map', () => {
    for (const m of ['1', '"x"', '["a"]', '{"k":1}', '{"k":null}', '{"k":true}', '{"k":["v"]}']) {
      expect(problem(file(`{"__metadata__":${m}}`)), m).toMatch(/^(Metadata|Entry)$/);
    }
    expect(problem(file(`{"__metadata__":{"k":{"x":"y"}}}`))).toBe('Metadata');
    expect(problem(file(`{"__metadata__":{"k":{"x":["y"]}}}`))).toBe('Depth');
    expect(parseSafetensorsHeader(file(`{"__metadata__":{"__proto__":"x","toString":"y"}}`)).metadata).toEqual(JSON.parse('{"__proto__":"x","toString":"y"}'));
  });

  it('stays fast on large headers: 100k tensors, long escaped strings', () => {
    const parts: string[] = [];
    for (let i = 0; i < 100_000; i++) parts.push(`"t${i}":${entry('U8', [1], [i, i + 1])}`);
    const big = `{${parts.join(',')}}`;
    const t0 = performance.now();
    expect(parseSafetensorsHeader(file(big, 100_000)).tensors.length).toBe(100_000);
    const slashes = `{"__metadata__":{"k":"${'\\\\'.repeat(2_000_000)}\\""}}`;
    expect(parseSafetensorsHeader(file(slashes)).metadata['k']!.length).toBe(2_000_001);
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('reads only the header from a file, and rejects a huge announced header without reading it', async () => {
    const path = join(dir, 'hostile.safetensors');
    await writeFile(path, file(ok, 0, 99_999_999n));
    await expect(readSafetensorsHeaderFromFile(path)).rejects.toMatchObject({ problem: 'HeaderLength' });
    await writeFile(path, file(ok, 0, 200_000_000n));
    await expect(readSafetensorsHeaderFromFile(path)).rejects.toMatchObject({ problem: 'HeaderTooLarge' });
    await writeFile(path, new Uint8Array(5));
    await expect(readSafetensorsHeaderFromFile(path)).rejects.toMatchObject({ problem: 'HeaderTooSmall' });
    await writeFile(path, file(ok, 8));
    expect((await readSafetensorsHeaderFromFile(path)).tensors).toHaveLength(1);
    await expect(readSafetensorsHeaderFromBlob(new Blob([file(ok, 0, 1_000_000n) as BlobPart]))).rejects.toMatchObject({ problem: 'HeaderLength' });
    await expect(fileSink(join(dir, 'missing', 'x.safetensors')).write(new Uint8Array(1))).rejects.toThrow();
  });
});
