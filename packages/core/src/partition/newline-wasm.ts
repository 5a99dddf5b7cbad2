/**
 * A newline finder in WebAssembly (SIMD: 16 bytes compared per instruction),
 * over a read buffer that lives in its own memory, so a blocking read lands
 * where it scans. One call lists up to `max` LF positions of a range: the
 * per-call cost of `Buffer.indexOf` (a call into C++ per line) is paid once
 * per ~8,000 lines instead. Measured on a 1 GiB JSONL (docs/benchmarks.md §3).
 *
 * The module is encoded here by hand (no toolchain at build time); its text:
 *
 *   (func $lfs (param $pos i32) (param $len i32) (param $out i32) (param $max i32) (result i32)
 *     ;; while pos + 64 <= len: if any of its four 16-byte vectors holds an LF,
 *     ;; record the LFs of each (bitmask, ctz) in order; stop at max; pos += 64.
 *     ;; then byte by byte to len. Returns how many LFs were written to out[].)
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
  block: [0x02, 0x40], loop: [0x03, 0x40], if: [0x04, 0x40], end: [0x0b], ret: [0x0f],
  br: (depth: number) => [0x0c, depth], brIf: (depth: number) => [0x0d, depth],
  get: (i: number) => [0x20, i], set: (i: number) => [0x21, i], tee: (i: number) => [0x22, i],
  i32: (v: number) => [0x41, ...sleb(v)],
  add: [0x6a], sub: [0x6b], and: [0x71], shl: [0x74], ctz: [0x68], eqz: [0x45], eq: [0x46], gtS: [0x4a], geS: [0x4e],
  load8u: [0x2d, 0, 0], store: [0x36, 2, 0],
  vload: (offset: number) => [0xfd, 0x00, 0, ...uleb(offset)],
  splat: [0xfd, 0x0f], veq: [0xfd, 0x23], bitmask: [0xfd, 0x64], vor: [0xfd, 0x50], anyTrue: [0xfd, 0x53],
};

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]) => [id, ...uleb(bytes.length), ...bytes];
const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'latin1')];

// Locals: the four parameters, then n (LFs written), m (bitmask), nl (16 LFs).
const [POS, LEN, OUT, MAX, N, M, NL] = [0, 1, 2, 3, 4, 5, 6] as const;

/** out[n] = <value>; if (++n === max) return n. */
const record = (value: number[][]) => [
  op.get(OUT), op.get(N), op.i32(2), op.shl, op.add, ...value, op.store,
  op.get(N), op.i32(1), op.add, op.tee(N), op.get(MAX), op.eq, op.if, op.get(N), op.ret, op.end,
];

/** Records the LFs of the 16 bytes at pos + offset, lowest first. */
const lfsOfVector = (offset: number) => [
  op.get(POS), op.vload(offset), op.get(NL), op.veq, op.bitmask, op.set(M),
  op.block, op.loop,
  op.get(M), op.eqz, op.brIf(1),
  ...record([op.get(POS), op.i32(offset), op.add, op.get(M), op.ctz, op.add]),
  op.get(M), op.get(M), op.i32(1), op.sub, op.and, op.set(M),
  op.br(0), op.end, op.end,
];

/** Vectors compared per step: one test for all of them, as most 64-byte steps hold no LF. */
const VECTORS = [0, 1, 2, 3];
const STEP = 16 * VECTORS.length;

/** True if any of the step's bytes is an LF. */
const anyLf = () => [
  ...VECTORS.flatMap((v) => [op.get(POS), op.vload(16 * v), op.get(NL), op.veq, ...(v > 0 ? [op.vor] : [])]),
  op.anyTrue,
];

const body = [
  op.i32(10), op.splat, op.set(NL),
  op.block, op.loop,
  op.get(POS), op.i32(STEP), op.add, op.get(LEN), op.gtS, op.brIf(1),
  ...anyLf(), op.if, ...VECTORS.flatMap((v) => lfsOfVector(16 * v)), op.end,
  op.get(POS), op.i32(STEP), op.add, op.set(POS),
  op.br(0), op.end, op.end,
  op.block, op.loop,
  op.get(POS), op.get(LEN), op.geS, op.brIf(1),
  op.get(POS), op.load8u, op.i32(10), op.eq, op.if, ...record([op.get(POS)]), op.end,
  op.get(POS), op.i32(1), op.add, op.set(POS),
  op.br(0), op.end, op.end,
  op.get(N), op.end,
].flat();

const code = [...vec([[2, I32], [1, V128]]), ...body];

const MODULE_BYTES = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32]]), ...vec([[I32]])]])),
  ...section(2, vec([[...name('m'), ...name('mem'), 0x02, 0x00, 0x01]])),
  ...section(3, vec([[0]])),
  ...section(7, vec([[...name('lfs'), 0x00, 0]])),
  ...section(10, vec([[...uleb(code.length), ...code]])),
]);

type Lfs = (pos: number, len: number, out: number, max: number) => number;

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

/** LF positions listed per call. */
const MAX_LFS = 8192;

/**
 * A read buffer of `size` bytes in WebAssembly memory, and the LF finder
 * over it. `lfs(from, to)` writes the positions of the first LFs (at most
 * MAX_LFS) of buf[from, to) to `positions` and returns how many.
 */
export class NewlineIndex {
  readonly buf: Buffer;
  readonly positions: Int32Array;
  private readonly out: number;
  private readonly find: Lfs;

  private constructor(mod: WasmModule, size: number) {
    this.out = (size + 3) & ~3;
    const memory = new WebAssembly.Memory({ initial: Math.ceil((this.out + MAX_LFS * 4) / 65536) });
    const instance = new WebAssembly.Instance(mod, { m: { mem: memory } });
    this.find = instance.exports.lfs as Lfs;
    this.buf = Buffer.from(memory.buffer, 0, size);
    this.positions = new Int32Array(memory.buffer, this.out, MAX_LFS);
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

  lfs(from: number, to: number): number {
    return this.find(from, to, this.out, MAX_LFS);
  }

  /** True for a view of this index's buffer that starts at its first byte. */
  owns(view: Buffer): boolean {
    return view.buffer === this.buf.buffer && view.byteOffset === 0 && view.length <= this.buf.length;
  }

  static readonly MAX_LFS = MAX_LFS;
}
