/**
 * A newline counter in WebAssembly (SIMD), over a read buffer that lives in
 * its own memory, so a blocking read lands where it scans. One call passes
 * over up to `k` LFs and returns where it stopped: the scanner's JS runs once
 * per batch instead of once per line. Most bytes go through blocks of 2 KiB
 * counted whole (LF lanes subtracted from lane counters, summed once per
 * block); the block holding the k-th LF, or (jsonl) an LF before a byte
 * <= 0x20, goes again through 128-byte steps (LF bitmasks, popcnt, ctz).
 * Measured on a 1 GiB JSONL (docs/benchmarks.md §3).
 *
 * The module is encoded here by hand (no toolchain at build time); its text:
 *
 *   (func $skip (param $pos i32) (param $len i32) (param $k i32) (param $out i32) (param $blank i32) (result i32)
 *     ;; n = 0, fine = 0. Loop:
 *     ;; Block: if pos >= fine, n >= 16, k - n >= 32 and pos + 2049 <= len: c = LFs of the 2,048 bytes
 *     ;; at pos; if n + c < k and not ($blank and one of them is followed by a
 *     ;; byte <= 0x20), n += c, pos += 2048, loop; else fine = pos + 2048.
 *     ;; Step: if pos + 129 <= len: if $blank and some LF of the 128 bytes at
 *     ;; pos is followed by a byte <= 0x20 (maybe a blank line), go byte by byte
 *     ;; over them; else c = popcnt of the LF bitmasks: if n + c < k, n += c and
 *     ;; pos += 128, loop, else return just past the (k - n)-th LF.
 *     ;; Byte by byte (those 128 bytes, or the tail to len): at an LF, n++;
 *     ;; return past it if n == k or ($blank and pos < len and mem[pos] <= 0x20).
 *     ;; At len: return len. Every return stores n at out.)
 */

const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const op = {
  block: [0x02, 0x40], loop: [0x03, 0x40], if: [0x04, 0x40], end: [0x0b], ret: [0x0f], unreachable: [0x00], select: [0x1b],
  br: (depth: number) => [0x0c, depth], brIf: (depth: number) => [0x0d, depth],
  get: (i: number) => [0x20, i], set: (i: number) => [0x21, i], tee: (i: number) => [0x22, i],
  i32: (v: number) => [0x41, ...sleb(v)],
  add: [0x6a], sub: [0x6b], and: [0x71], or: [0x72], shl: [0x74], ctz: [0x68], popcnt: [0x69],
  eqz: [0x45], eq: [0x46], ltS: [0x48], gtS: [0x4a], geS: [0x4e],
  load8u: [0x2d, 0, 0], load8s: [0x2c, 0, 0], store: [0x36, 2, 0],
  vload: (offset: number) => [0xfd, 0x00, 0, ...uleb(offset)],
  splat: [0xfd, 0x0f], veq: [0xfd, 0x23], vand: [0xfd, 0x4e], vor: [0xfd, 0x50],
  anyTrue: [0xfd, 0x53], bitmask: [0xfd, 0x64],
  vgtU: [0xfd, 0x28], vsubSatU: [0xfd, 0x73], vmaxU: [0xfd, 0x79],
  vzero: [0xfd, 0x0c, ...new Array<number>(16).fill(0)], vsub8: [0xfd, 0x71], vadd16: [0xfd, 0x8e, 0x01],
  widen8: [0xfd, 0x7d], widen16: [0xfd, 0x7f], lane32: (i: number) => [0xfd, 0x1b, i],
};

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'latin1')];

/** 16-byte vectors per step (a multiple of 2: their LF bitmasks are counted 32 bytes at a time). */
const VECTOR_COUNT = 8;
const STEP = 16 * VECTOR_COUNT;
const VECTORS = Array.from({ length: VECTOR_COUNT }, (_, v) => v);
const MASKS = Array.from({ length: VECTOR_COUNT / 2 }, (_, m) => m);

/** Steps per block (the counting path below): each of the ACCS lane counters gains at most 2 per step, so 16 steps stay far below 255. */
const BLOCK_STEPS = 16;
const BLOCK = STEP * BLOCK_STEPS;
const ACCS = 4;
/**
 * Blocks are tried only once a call has passed BLOCK_AFTER_LFS LFs by steps,
 * and while at least BLOCK_MIN_LFS are still to pass: a call asked for a few
 * LFs (batches of a few records), or stopped by a possible blank line within
 * its first lines (jsonl whose lines start with a blank), runs on the step
 * path alone as before, without a block pass thrown away at every call.
 */
const BLOCK_AFTER_LFS = 16;
const BLOCK_MIN_LFS = 32;

// Locals: the five parameters; n (LFs passed), c, stop, the step's LF bitmasks (32 bytes each),
// fine (the step path runs up to there), blockEnd; nl (16 LFs), low (16 x 0x21), the step's LF
// lanes, the block's lane counters, the block's "LF before a byte < 0x21" lanes.
const [POS, LEN, K, OUT, BLANK, N, C, STOP] = [0, 1, 2, 3, 4, 5, 6, 7] as const;
const M = MASKS.map((m) => 8 + m);
const FINE = 8 + MASKS.length;
const BLOCK_END = FINE + 1;
const I32_LOCALS = BLOCK_END + 1 - N;
const NL = BLOCK_END + 1;
const LOW = NL + 1;
const E = VECTORS.map((v) => LOW + 1 + v);
const ACC = Array.from({ length: ACCS }, (_, a) => LOW + 1 + VECTOR_COUNT + a);
const BL = LOW + 1 + VECTOR_COUNT + ACCS;
const V128_LOCALS = BL + 1 - NL;
const at = (xs: number[], i: number) => xs[i] as number;

/** Stores n at out and returns `value`. */
const finish = (value: number[][]) => [op.get(OUT), op.get(N), op.store, ...value, op.ret];

/** e_v = the LFs of the 16 bytes at pos + 16v, as 0xff/0 lanes. */
const lfs = VECTORS.flatMap((v) => [op.get(POS), op.vload(16 * v), op.get(NL), op.veq, op.set(at(E, v))]);

/**
 * True if an LF of the step is followed by a byte <= 0x20 (blank bytes and
 * control bytes): 0x21 - byte, saturating, is not 0 there.
 */
const blankAfterLf = [
  ...VECTORS.flatMap((v) => [op.get(at(E, v)), op.get(LOW), op.get(POS), op.vload(16 * v + 1), op.vsubSatU, op.vand, ...(v > 0 ? [op.vor] : [])]),
  op.anyTrue,
];

/** After pushing vector v's value: the max operations that pair it up in a balanced tree (no chain of 8 dependent maxes per step). */
function maxTree(v: number): number[][] {
  const out: number[][] = [];
  for (let size = 2; size <= VECTOR_COUNT && (v + 1) % size === 0; size *= 2) out.push(op.vmaxU);
  return out;
}

/**
 * The block's running max of 0xff - (the byte after each LF), 0 elsewhere:
 * >= 0xdf where an LF is followed by a byte <= 0x20. Two operations per
 * vector (saturating subtract from the LF lanes, max) where the step path's
 * test takes three.
 */
const blankAfterLfMax = [
  ...VECTORS.flatMap((v) => [op.get(at(E, v)), op.get(POS), op.vload(16 * v + 1), op.vsubSatU, ...maxTree(v)]),
  op.vmaxU,
];

/** Bitmask of the LFs of two of the e_v (32 bytes). */
const mask32 = (lo: number, hi: number) => [op.get(lo), op.bitmask, op.get(hi), op.bitmask, op.i32(16), op.shl, op.or];

/** Passes the LFs of `mask` (bytes at pos + offset) one by one; returns past the one that makes n == k. */
const walk = (mask: number, offset: number) => [
  op.block, op.loop,
  op.get(mask), op.eqz, op.brIf(1),
  op.get(N), op.i32(1), op.add, op.tee(N), op.get(K), op.eq, op.if,
  ...finish([op.get(POS), op.i32(offset + 1), op.add, op.get(mask), op.ctz, op.add]), op.end,
  op.get(mask), op.get(mask), op.i32(1), op.sub, op.and, op.set(mask),
  op.br(0), op.end, op.end,
];

/** One step; branches to the enclosing block (the byte-by-byte path) when it cannot count the step whole. */
const vectorStep = [
  op.get(POS), op.i32(STEP + 1), op.add, op.get(LEN), op.gtS, op.brIf(0),
  ...lfs,
  op.get(BLANK), op.if, ...blankAfterLf, op.brIf(1), op.end,
  ...MASKS.flatMap((m) => [...mask32(at(E, 2 * m), at(E, 2 * m + 1)), op.set(at(M, m))]),
  ...MASKS.flatMap((m) => [op.get(at(M, m)), op.popcnt, ...(m > 0 ? [op.add] : [])]), op.set(C),
  op.get(N), op.get(C), op.add, op.get(K), op.ltS, op.if,
  op.get(N), op.get(C), op.add, op.set(N), op.get(POS), op.i32(STEP), op.add, op.set(POS), op.br(2), op.end,
  ...MASKS.flatMap((m) => walk(at(M, m), 32 * m)), op.unreachable,
];

/** Byte by byte from pos to min(pos + STEP, len). */
const byteSteps = [
  op.get(POS), op.i32(STEP), op.add, op.get(LEN), op.get(POS), op.i32(STEP), op.add, op.get(LEN), op.ltS, op.select, op.set(STOP),
  op.block, op.loop,
  op.get(POS), op.get(STOP), op.geS, op.brIf(1),
  op.get(POS), op.load8u, op.i32(10), op.eq,
  op.get(POS), op.i32(1), op.add, op.set(POS),
  op.if,
  op.get(N), op.i32(1), op.add, op.tee(N), op.get(K), op.eq, op.if, ...finish([op.get(POS)]), op.end,
  op.get(BLANK), op.if, op.get(POS), op.get(LEN), op.ltS, op.if,
  op.get(POS), op.load8u, op.i32(0x21), op.ltS, op.if, ...finish([op.get(POS)]), op.end,
  op.end, op.end,
  op.end,
  op.br(0), op.end, op.end,
  op.get(POS), op.get(LEN), op.geS, op.if, ...finish([op.get(POS)]), op.end,
];

/**
 * A whole block counted at once, without the step path's bitmask, popcnt and
 * compare-and-branch per 128 bytes: each LF lane (-1) is subtracted from a
 * lane counter, and the counters are summed once per block (1 GiB of JSONL
 * in cache: ~31 ms against ~43 ms by steps; text, without the blank test,
 * ~22 ms). Taken only when the block holds fewer than k - n LFs and (with
 * $blank) no LF before a byte <= 0x20; otherwise the step path runs over
 * the block (fine = its end) and finds the stop there. Branches to the
 * enclosing block (the step path) in those cases and at the tail (fewer
 * than BLOCK + 1 bytes left); continues the main loop past a block counted
 * whole. The block's tests only choose the path: the step path alone
 * decides where a call stops.
 */
const blockStep = [
  op.get(POS), op.get(FINE), op.ltS, op.brIf(0),
  op.get(N), op.i32(BLOCK_AFTER_LFS), op.ltS, op.brIf(0),
  op.get(K), op.get(N), op.sub, op.i32(BLOCK_MIN_LFS), op.ltS, op.brIf(0),
  op.get(POS), op.i32(BLOCK + 1), op.add, op.get(LEN), op.gtS, op.brIf(0),
  ...ACC.flatMap((a) => [op.vzero, op.set(a)]), op.vzero, op.set(BL),
  op.get(POS), op.i32(BLOCK), op.add, op.set(BLOCK_END),
  op.loop,
  ...VECTORS.flatMap((v) => [op.get(at(ACC, v % ACCS)), op.get(POS), op.vload(16 * v), op.get(NL), op.veq, op.tee(at(E, v)), op.vsub8, op.set(at(ACC, v % ACCS))]),
  op.get(BLANK), op.if, op.get(BL), ...blankAfterLfMax, op.set(BL), op.end,
  op.get(POS), op.i32(STEP), op.add, op.tee(POS), op.get(BLOCK_END), op.ltS, op.brIf(0),
  op.end,
  op.get(BLOCK_END), op.i32(BLOCK), op.sub, op.set(POS),
  op.get(BL), op.i32(0xde), op.splat, op.vgtU, op.anyTrue, op.if, op.get(BLOCK_END), op.set(FINE), op.br(1), op.end,
  // c = the sum of the counters' lanes: widened to 16 bits (each lane <= 32), summed, widened to 32 bits, lanes added.
  ...ACC.flatMap((a, i) => [op.get(a), op.widen8, ...(i > 0 ? [op.vadd16] : [])]), op.widen16, op.set(at(ACC, 0)),
  ...[0, 1, 2, 3].flatMap((l) => [op.get(at(ACC, 0)), op.lane32(l), ...(l > 0 ? [op.add] : [])]), op.set(C),
  op.get(N), op.get(C), op.add, op.get(K), op.ltS, op.if,
  op.get(N), op.get(C), op.add, op.set(N), op.get(BLOCK_END), op.set(POS), op.br(2), op.end,
  op.get(BLOCK_END), op.set(FINE),
];

const body = [
  op.i32(10), op.splat, op.set(NL), op.i32(0x21), op.splat, op.set(LOW),
  op.loop, op.block, ...blockStep, op.end, op.block, ...vectorStep, op.end, ...byteSteps, op.br(0), op.end,
  op.unreachable, op.end,
].flat();

const code = [...vec([[I32_LOCALS, I32], [V128_LOCALS, V128]]), ...body];

const MODULE_BYTES = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([[I32]])]])),
  ...section(2, vec([[...name('m'), ...name('mem'), 0x02, 0x00, 0x01]])),
  ...section(3, vec([[0]])),
  ...section(7, vec([[...name('skip'), 0x00, 0]])),
  ...section(10, vec([[...uleb(code.length), ...code]])),
]);

type Skip = (pos: number, len: number, k: number, out: number, blank: number) => number;

// The few WebAssembly globals used here (lib "dom" is not in this build's libs; @types/node 22 lacks them).
interface WasmModule { readonly kind?: 'wasm-module' }
interface WasmMemory { readonly buffer: ArrayBuffer }
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Memory: new (desc: { initial: number }) => WasmMemory;
  Instance: new (mod: WasmModule, imports: { m: { mem: WasmMemory } }) => { exports: Record<string, unknown> };
};

let compiled: WasmModule | null | undefined;

/** The compiled module, or null where WebAssembly SIMD is not available (then callers use Buffer.indexOf). */
function wasmModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(MODULE_BYTES);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

let shared: NewlineIndex | undefined;

/**
 * A read buffer of `size` bytes in WebAssembly memory, and the LF counter
 * over it.
 */
export class NewlineIndex {
  readonly buf: Buffer;
  /** LFs passed by the last `skip`. */
  private readonly passed: Int32Array;
  private readonly out: number;
  private readonly run: Skip;

  private constructor(mod: WasmModule, size: number) {
    this.out = (size + 3) & ~3;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((this.out + 4) / 65536) });
    const instance = new WebAssembly.Instance(mod, { m: { mem: memory } });
    this.run = instance.exports.skip as Skip;
    this.buf = Buffer.from(memory.buffer, 0, size);
    this.passed = new Int32Array(memory.buffer, this.out, 1);
  }

  /**
   * A NewlineIndex with a buffer of `size` bytes, or null where WebAssembly
   * SIMD is unavailable or `size` does not fit 32-bit offsets. One per size
   * is kept and handed out again (a wasm memory reserves gigabytes of
   * address space, so not one per file): a caller must fill and scan the
   * buffer without awaiting in between, so two partitions running at once
   * never see each other's bytes.
   */
  static create(size: number): NewlineIndex | null {
    const mod = wasmModule();
    if (mod === null || size > 1 << 30) return null;
    if (shared?.buf.length !== size) shared = new NewlineIndex(mod, size);
    return shared;
  }

  /**
   * Passes over LFs of buf[from, to) until `k` (>= 1) are passed, or (with
   * `blank`) just past one followed by a byte <= 0x20 (where a blank line
   * may start), or `to` is reached.
   * Returns where it stopped (just past the last LF passed, or `to`); `count`
   * is then how many LFs it passed.
   */
  skip(from: number, to: number, k: number, blank: boolean): number {
    return this.run(from, to, k, this.out, blank ? 1 : 0);
  }

  get count(): number {
    return this.passed[0] as number;
  }

  /** True for a view of this index's buffer that starts at its first byte. */
  owns(view: Buffer): boolean {
    return view.buffer === this.buf.buffer && view.byteOffset === 0 && view.length <= this.buf.length;
  }
}
