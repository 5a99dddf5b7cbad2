/**
 * Test support: compressing test data. zstd needs Node 22.15+ (zlib) or the
 * zstd tool (scripts/test.sh installs Debian's zstd when it is missing).
 */
import { spawnSync } from 'node:child_process';
import zlib from 'node:zlib';

type Compress = (input: Uint8Array) => Uint8Array;

function zstdCompressor(): Compress | null {
  const native = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer }).zstdCompressSync;
  if (native) return (b) => new Uint8Array(native(b));
  const probe = spawnSync('zstd', ['--version'], { stdio: 'ignore' });
  if (probe.status !== 0) return null;
  return (b) => {
    const out = spawnSync('zstd', ['-q', '-c', '-'], { input: b, maxBuffer: 1 << 30 });
    if (out.status !== 0) throw new Error(`zstd failed: ${String(out.stderr)}`);
    return new Uint8Array(out.stdout);
  };
}

/** zstd compression, or null where this machine cannot compress zstd. */
export const zstdCompress: Compress | null = zstdCompressor();
export const CAN_WRITE_ZSTD = zstdCompress !== null;

/** `bytes` compressed with `codec`; throws where zstd is not available (say how to get it). */
export function compress(codec: 'gzip' | 'zstd', bytes: Uint8Array): Buffer {
  if (codec === 'gzip') return zlib.gzipSync(bytes);
  if (zstdCompress === null) throw new Error('cannot write zstd here: install the zstd tool (apt-get install zstd) or use Node 22.15+');
  return Buffer.from(zstdCompress(bytes));
}
