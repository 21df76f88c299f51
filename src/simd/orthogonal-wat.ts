// Builds the WebAssembly text of the SIMD orthogonal kernels (src/simd/orthogonal.ts loads the binary that
// scripts/build-simd.ts writes to src/simd/orthogonal-binary.ts). They are the CPU twin of
// shaders/orthogonal.wgsl once more (src/twin/orthogonal.ts): every f32 operation is the same IEEE
// operation, on the same operands and in the same order, so the bits are the same (WebAssembly's f32x4
// arithmetic is IEEE 754 binary32, round-to-nearest-even, never contracted or reassociated).
//
// Memory: the column-major working matrix M with a column stride of `stride` bytes (a multiple of 64:
// columns are padded to a multiple of 16 rows; padding rows never reach a result), and the coefficients
// C[(a - s0) * w + (c - t0)] of the current projection.
//
// - projectionDots: columnDot's DOT_LANES = 4 partials are the 4 lanes of one f32x4 accumulator (lane t
//   sums rows t, t + 4, ...). A register tile of TA sources x TC targets keeps TA * TC accumulators over
//   all row quads; the last, partial quad adds only its rows (lane mask). Then (l0 + l2) + (l1 + l3).
// - subtractProjection (in-panel steps, one target): lanes are 4 consecutive rows; a tile of TR row quads x
//   TC targets sums over the sources in ascending order (each lane is its own projectionSum), then
//   subtracts once.
// - subtractProjectionRows (block projections): the same sums from a row-major copy of the finished
//   columns, lanes across targets, so that each row's sources are read in order (no column-strided walk).
// - scaleColumn: normalizeColumn's scaling (the scale itself comes from the twin's inverseNorm).

/** Sources x targets per projectionDots tile. */
export const DOT_TILES = [
  [4, 2],
  [4, 1],
  [1, 1],
] as const;
/** Row quads x targets per subtractProjection tile (row quads x 4 rows = the block of rows a call walks). */
export const SUBTRACT_TILES = [[4, 1]] as const;
/** Rows per subtractProjection row block: the column padding. */
export const ROW_BLOCK = 16;
/** Targets per subtractProjectionRows tile (4 f32x4 lanes groups); the coefficient rows are padded to it. */
export const ROW_TILE_TARGETS = 16;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const v128Locals = (names: string[]) => names.map((n) => `(local $${n} v128)`).join(' ');
const i32Locals = (names: string[]) => names.map((n) => `(local $${n} i32)`).join(' ');

/** The export name of a projectionDots tile kernel. */
export const dotsKernel = (ta: number, tc: number) => `projectionDots${ta}x${tc}`;
/** The export name of a subtractProjection tile kernel. */
export const subtractKernel = (tr: number, tc: number) => `subtractProjection${tr}x${tc}`;

/**
 * projectionDots over sources [a0, a1) (a multiple of ta wide) and targets [c0, c1) (a multiple of tc):
 * coeffs[(a - s0) * w + (c - t0)] = columnDot(a, c). Sources outer, targets inner.
 */
function dotsFunction(ta: number, tc: number): string {
  const acc = (i: number, j: number) => `acc${i}_${j}`;
  const accs = range(ta).flatMap((i) => range(tc).map((j) => acc(i, j)));
  const ys = range(tc).map((j) => `y${j}`);
  const step = (masked: boolean) =>
    range(tc)
      .map((j) => `(local.set $y${j} (v128.load (i32.add (local.get $pc${j}) (local.get $off))))`)
      .concat(
        range(ta).flatMap((i) => [
          `(local.set $x (v128.load (i32.add (local.get $pa${i}) (local.get $off))))`,
          ...range(tc).map((j) => {
            const sum = `(f32x4.add (local.get $${acc(i, j)}) (f32x4.mul (local.get $x) (local.get $y${j})))`;
            return `(local.set $${acc(i, j)} ${masked ? `(v128.bitselect ${sum} (local.get $${acc(i, j)}) (local.get $mask))` : sum})`;
          }),
        ]),
      )
      .join('\n        ');
  const stores = range(ta)
    .flatMap((i) =>
      range(tc).map((j) => {
        const a = acc(i, j);
        const at = `(i32.add (local.get $coeffs) (i32.shl (i32.add (i32.mul (i32.sub (i32.add (local.get $a) (i32.const ${i})) (local.get $s0)) (local.get $w)) (i32.sub (i32.add (local.get $c) (i32.const ${j})) (local.get $t0))) (i32.const 2)))`;
        return `(local.set $h (f32x4.add (local.get $${a}) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $${a}) (local.get $${a}))))
      (f32.store ${at} (f32.add (f32x4.extract_lane 0 (local.get $h)) (f32x4.extract_lane 1 (local.get $h))))`;
      }),
    )
    .join('\n      ');
  return `
  (func (export "${dotsKernel(ta, tc)}")
    (param $work i32) (param $stride i32) (param $quads i32) (param $tail i32)
    (param $a0 i32) (param $a1 i32) (param $c0 i32) (param $c1 i32)
    (param $coeffs i32) (param $w i32) (param $s0 i32) (param $t0 i32)
    ${i32Locals(['a', 'c', 'off', 'end', ...range(ta).map((i) => `pa${i}`), ...range(tc).map((j) => `pc${j}`)])}
    ${v128Locals([...accs, ...ys, 'x', 'h', 'mask'])}
    (local.set $end (i32.shl (local.get $quads) (i32.const 4)))
    (local.set $mask (i32x4.lt_u (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $tail))))
    (local.set $a (local.get $a0))
    (block $aDone (loop $aLoop
      (br_if $aDone (i32.ge_u (local.get $a) (local.get $a1)))
      ${range(ta)
        .map((i) => `(local.set $pa${i} (i32.add (local.get $work) (i32.mul (i32.add (local.get $a) (i32.const ${i})) (local.get $stride))))`)
        .join('\n      ')}
      (local.set $c (local.get $c0))
      (block $cDone (loop $cLoop
        (br_if $cDone (i32.ge_u (local.get $c) (local.get $c1)))
        ${range(tc)
          .map((j) => `(local.set $pc${j} (i32.add (local.get $work) (i32.mul (i32.add (local.get $c) (i32.const ${j})) (local.get $stride))))`)
          .join('\n        ')}
        ${accs.map((a) => `(local.set $${a} (v128.const i32x4 0 0 0 0))`).join(' ')}
        (local.set $off (i32.const 0))
        (block $rDone (loop $rLoop
          (br_if $rDone (i32.ge_u (local.get $off) (local.get $end)))
        ${step(false)}
          (local.set $off (i32.add (local.get $off) (i32.const 16)))
          (br $rLoop)))
        (if (local.get $tail) (then
        ${step(true)}))
      ${stores}
        (local.set $c (i32.add (local.get $c) (i32.const ${tc})))
        (br $cLoop)))
      (local.set $a (i32.add (local.get $a) (i32.const ${ta})))
      (br $aLoop)))
  )`;
}

/**
 * subtractProjection over targets [c0, c1) (a multiple of tc wide) and the row blocks [b0, b1) of tr quads:
 * y_c[i] = y_c[i] - projectionSum(i, c), sources [s0, s1) ascending. Row blocks outer, targets inner.
 */
function subtractFunction(tr: number, tc: number): string {
  const acc = (r: number, j: number) => `acc${r}_${j}`;
  const accs = range(tr).flatMap((r) => range(tc).map((j) => acc(r, j)));
  return `
  (func (export "${subtractKernel(tr, tc)}")
    (param $work i32) (param $stride i32) (param $b0 i32) (param $b1 i32)
    (param $s0 i32) (param $s1 i32) (param $t0 i32) (param $c0 i32) (param $c1 i32)
    (param $coeffs i32) (param $w i32)
    ${i32Locals(['b', 'c', 'a', 'row', 'pa', 'pk', 'py'])}
    ${v128Locals([...accs, ...range(tc).map((j) => `k${j}`), 'x'])}
    (local.set $b (local.get $b0))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_u (local.get $b) (local.get $b1)))
      (local.set $row (i32.mul (local.get $b) (i32.const ${tr * 16})))
      (local.set $c (local.get $c0))
      (block $cDone (loop $cLoop
        (br_if $cDone (i32.ge_u (local.get $c) (local.get $c1)))
        ${accs.map((a) => `(local.set $${a} (v128.const i32x4 0 0 0 0))`).join(' ')}
        (local.set $pa (i32.add (i32.add (local.get $work) (i32.mul (local.get $s0) (local.get $stride))) (local.get $row)))
        (local.set $pk (i32.add (local.get $coeffs) (i32.shl (i32.sub (local.get $c) (local.get $t0)) (i32.const 2))))
        (local.set $a (local.get $s0))
        (block $aDone (loop $aLoop
          (br_if $aDone (i32.ge_u (local.get $a) (local.get $s1)))
          ${range(tc)
            .map((j) => `(local.set $k${j} (v128.load32_splat offset=${4 * j} (local.get $pk)))`)
            .join('\n          ')}
          ${range(tr)
            .flatMap((r) => [
              `(local.set $x (v128.load offset=${16 * r} (local.get $pa)))`,
              ...range(tc).map((j) => `(local.set $${acc(r, j)} (f32x4.add (local.get $${acc(r, j)}) (f32x4.mul (local.get $x) (local.get $k${j}))))`),
            ])
            .join('\n          ')}
          (local.set $pa (i32.add (local.get $pa) (local.get $stride)))
          (local.set $pk (i32.add (local.get $pk) (i32.shl (local.get $w) (i32.const 2))))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (br $aLoop)))
        ${range(tc)
          .flatMap((j) => [
            `(local.set $py (i32.add (i32.add (local.get $work) (i32.mul (i32.add (local.get $c) (i32.const ${j})) (local.get $stride))) (local.get $row)))`,
            ...range(tr).map(
              (r) => `(v128.store offset=${16 * r} (local.get $py) (f32x4.sub (v128.load offset=${16 * r} (local.get $py)) (local.get $${acc(r, j)})))`,
            ),
          ])
          .join('\n        ')}
        (local.set $c (i32.add (local.get $c) (i32.const ${tc})))
        (br $cLoop)))
      (local.set $b (i32.add (local.get $b) (i32.const 1)))
      (br $bLoop)))
  )`;
}

/**
 * subtractProjection of the block projections (sources [0, s1), all finished columns) from a row-major copy
 * of those columns (`rows`: row i at rows + i * rowStride bytes): lanes are 4 consecutive targets, a tile
 * is 2 rows x 16 targets; per source a (ascending), the two rows' values are splatted and multiplied with
 * the coefficients C[a][c .. c + 16) (coefficient rows `wp` floats apart, wp a multiple of 16). Then each
 * lane for a target c < w is subtracted from y_c[i]. Rows [r0, r1) (r1 - r0 even; rows below the column
 * stride, padding rows included), targets outer, rows inner. Each lane is its own projectionSum: same bits.
 */
function subtractRowsFunction(): string {
  const acc = (r: number, j: number) => `acc${r}_${j}`;
  const accs = [0, 1].flatMap((r) => range(4).map((j) => acc(r, j)));
  const store = (r: number) =>
    range(4)
      .flatMap((j) =>
        range(4).map((l) => {
          const at = `(i32.add (i32.add (local.get $work) (i32.mul (i32.add (local.get $t0) (i32.add (local.get $c) (i32.const ${4 * j + l}))) (local.get $stride))) (i32.shl (i32.add (local.get $i) (i32.const ${r})) (i32.const 2)))`;
          return `(if (i32.lt_u (i32.add (local.get $c) (i32.const ${4 * j + l})) (local.get $w)) (then (local.set $p ${at}) (f32.store (local.get $p) (f32.sub (f32.load (local.get $p)) (f32x4.extract_lane ${l} (local.get $${acc(r, j)}))))))`;
        }),
      )
      .join('\n          ');
  return `
  (func (export "subtractProjectionRows")
    (param $work i32) (param $stride i32) (param $rows i32) (param $rowStride i32) (param $r0 i32) (param $r1 i32)
    (param $s1 i32) (param $t0 i32) (param $w i32) (param $wp i32) (param $coeffs i32)
    ${i32Locals(['i', 'c', 'a', 'pq', 'pk', 'p'])}
    ${v128Locals([...accs, 'k0', 'k1', 'k2', 'k3', 'x0', 'x1'])}
    (local.set $c (i32.const 0))
    (block $cDone (loop $cLoop
      (br_if $cDone (i32.ge_u (local.get $c) (local.get $w)))
      (local.set $i (local.get $r0))
      (block $iDone (loop $iLoop
        (br_if $iDone (i32.ge_u (local.get $i) (local.get $r1)))
        ${accs.map((a) => `(local.set $${a} (v128.const i32x4 0 0 0 0))`).join(' ')}
        (local.set $pq (i32.add (local.get $rows) (i32.mul (local.get $i) (local.get $rowStride))))
        (local.set $pk (i32.add (local.get $coeffs) (i32.shl (local.get $c) (i32.const 2))))
        (local.set $a (i32.const 0))
        (block $aDone (loop $aLoop
          (br_if $aDone (i32.ge_u (local.get $a) (local.get $s1)))
          (local.set $x0 (v128.load32_splat (local.get $pq)))
          (local.set $x1 (v128.load32_splat (i32.add (local.get $pq) (local.get $rowStride))))
          ${range(4)
            .map((j) => `(local.set $k${j} (v128.load offset=${16 * j} (local.get $pk)))`)
            .join('\n          ')}
          ${[0, 1].flatMap((r) => range(4).map((j) => `(local.set $${acc(r, j)} (f32x4.add (local.get $${acc(r, j)}) (f32x4.mul (local.get $x${r}) (local.get $k${j}))))`)).join('\n          ')}
          (local.set $pq (i32.add (local.get $pq) (i32.const 4)))
          (local.set $pk (i32.add (local.get $pk) (i32.shl (local.get $wp) (i32.const 2))))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))
          (br $aLoop)))
        ${store(0)}
        ${store(1)}
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $iLoop)))
      (local.set $c (i32.add (local.get $c) (i32.const ${16})))
      (br $cLoop)))
  )`;
}

/**
 * Largest memory the kernels need, in 64 KiB pages: 2^28 elements twice (M and the row-major copy of its
 * finished columns) plus column padding and coefficients.
 */
export const MAX_PAGES = 2 * 16384 + 128;

/**
 * The module text: the tile kernels and scaleColumn over an imported memory (env.memory, grown by the
 * host). `shared`: a shared memory, for instances on several threads (WebAssembly threads).
 */
export function orthogonalWat(shared = false): string {
  return `(module
  (import "env" "memory" (memory 1 ${MAX_PAGES}${shared ? ' shared' : ''}))
  ${DOT_TILES.map(([ta, tc]) => dotsFunction(ta, tc)).join('\n')}
  ${SUBTRACT_TILES.map(([tr, tc]) => subtractFunction(tr, tc)).join('\n')}
  ${subtractRowsFunction()}
  ;; scaleColumn: quads f32x4 values from ptr, each times scale (one rounding).
  (func (export "scaleColumn") (param $ptr i32) (param $quads i32) (param $scale f32)
    (local $end i32) (local $k v128)
    (local.set $k (f32x4.splat (local.get $scale)))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $quads) (i32.const 4))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
      (v128.store (local.get $ptr) (f32x4.mul (v128.load (local.get $ptr)) (local.get $k)))
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
      (br $next)))
  )
)`;
}
