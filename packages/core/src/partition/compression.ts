/**
 * Which inputs are compressed (gzip, zstd): by input.compression or the
 * file name. Apart from decompress.ts, which loads zlib and fzstd only when
 * a compressed input is read.
 */
export type Compression = 'gzip' | 'zstd';
/** input.compression: auto reads it from the file name (.gz, .gzip, .zst, .zstd). */
export type CompressionSetting = 'auto' | 'none' | Compression;

/** How `file` is compressed under `setting`, or null if it is not. */
export function compressionOf(file: string, setting: CompressionSetting = 'auto'): Compression | null {
  if (setting === 'none') return null;
  if (setting !== 'auto') return setting;
  const name = file.toLowerCase().replace(/[?#].*$/, '');
  if (name.endsWith('.gz') || name.endsWith('.gzip')) return 'gzip';
  if (name.endsWith('.zst') || name.endsWith('.zstd')) return 'zstd';
  return null;
}
