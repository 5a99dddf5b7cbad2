/**
 * What a stage run's cache key is made of, kept structured (not just a
 * hash) so that a miss can be explained component by component, and
 * stored with each cache entry. The schema parses entries read back from a
 * backend (a trust boundary); `v` is its version.
 */
import { z } from 'zod';

const FileHashSchema = z.object({
  path: z.string(),
  /** null: the file does not exist. */
  sha256: z.string().nullable(),
});

/** The code a stage runs: a module and its local import closure, or a command and its declared files. */
export const CodeComponentSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('module'),
    /** The module file (absolute) and the export called. */
    entry: z.string(),
    export: z.string(),
    /** The module and the local files it imports, transitively, sorted by path. */
    files: z.array(FileHashSchema),
    /** Imported packages: name → version (null: not installed). */
    packages: z.record(z.string(), z.string().nullable()),
  }),
  z.object({
    kind: z.literal('command'),
    /** The command string, parameters and matrix values substituted. */
    command: z.string(),
    /** handler.files, in the order listed. */
    files: z.array(FileHashSchema),
  }),
]);

/** An input file as fingerprinted: size and mtime; sha256 with input.checksum; the ETag for S3 objects. */
const InputFileSchema = z.object({
  path: z.string(),
  size: z.number(),
  mtimeMs: z.number().optional(),
  sha256: z.string().optional(),
  etag: z.string().optional(),
});

const UpstreamResultSchema = z.object({
  stage: z.string(),
  /** sha256 of the upstream stage's output; null while it is not known (the upstream has not run). */
  sha256: z.string().nullable(),
});

export const InputComponentSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('files'), checksum: z.boolean(), files: z.array(InputFileSchema) }),
  z.object({ kind: z.literal('upstream'), upstreams: z.array(UpstreamResultSchema) }),
]);

const ValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown())]);

export const CacheComponentsSchema = z.object({
  v: z.literal(1),
  handler: CodeComponentSchema,
  /** output.reduce's module closure; null without one (output.reduce_command is a setting). */
  reducer: CodeComponentSchema.nullable(),
  /** Result-affecting settings by dotted YAML path ("input.batch.records"), leaves only. */
  settings: z.record(z.string(), ValueSchema),
  /** The pipeline parameters this run references, with their values. */
  params: z.record(z.string(), z.unknown()),
  /** The matrix point, or null. */
  point: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullable(),
  input: InputComponentSchema,
});

export type FileHash = z.infer<typeof FileHashSchema>;
export type CodeComponent = z.infer<typeof CodeComponentSchema>;
export type InputFile = z.infer<typeof InputFileSchema>;
export type InputComponent = z.infer<typeof InputComponentSchema>;
export type UpstreamResult = z.infer<typeof UpstreamResultSchema>;
export type CacheComponents = z.infer<typeof CacheComponentsSchema>;

/** Stored components read back (checked without zod: a read of the home must not load it). */
export { parseStoredComponents } from './stored-components.js';
