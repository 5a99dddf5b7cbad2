/**
 * Config issues: the user-facing shape, and the translation of zod issues
 * into messages that say what was expected and what was found.
 */
import type { z } from 'zod';
import {
  allowedKeys,
  describeExpected,
  describeFoundType,
  describeFoundValue,
  schemaAt,
  suggest,
  type JsonSchemaNode,
  type PathSeg,
} from './describe.js';
import type { Anchor } from './yaml-source.js';

/** One problem in a job file, pointing at its YAML path and, when the file has it, its line. */
export interface ConfigIssue {
  /** Absolute path of the YAML file. */
  file: string;
  /** YAML path, dotted with [i] for arrays: "input.batch.records", "notification.on[1]", "" for the root. */
  path: string;
  /** 1-based line of the offending node (or of its parent key when the key is missing). */
  line?: number;
  /** 1-based column. */
  col?: number;
  /** What was expected and what was found. */
  message: string;
}

/** An issue before it is located in the file. */
export interface RawIssue {
  path: PathSeg[];
  anchor: Anchor;
  message: string;
}

type ZodIssue = z.core.$ZodIssue;

interface MapContext {
  data: unknown;
  schema: JsonSchemaNode;
}

/** Every zod issue as one or more raw issues (one per unknown key). */
export function mapZodIssues(issues: readonly ZodIssue[], data: unknown, schema: JsonSchemaNode): RawIssue[] {
  return issues.flatMap((issue) => mapIssue(issue, [], { data, schema }));
}

function mapIssue(issue: ZodIssue, prefix: PathSeg[], ctx: MapContext): RawIssue[] {
  const path = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
  const value = valueAt(ctx.data, path);
  const node = schemaAt(ctx.schema, path);
  const at = (message: string): RawIssue[] => [{ path, anchor: 'value', message }];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownKey(path, key, node));
    case 'invalid_union':
      return unionIssue(issue, path, value, ctx);
    case 'invalid_type':
      if (value === undefined) return [missingKey(path)];
      return at(`expected ${describeExpected(node) ?? issue.expected}, found ${describeFoundType(value)}`);
    case 'too_small':
    case 'too_big':
    case 'not_multiple_of':
      return at(`expected ${describeExpected(node) ?? 'another value'}, found ${describeFoundValue(value)}`);
    case 'invalid_value':
      return at(enumMessage(issue.values, value));
    case 'invalid_format':
      return at(formatMessage(issue, value));
    default:
      return at(issue.message);
  }
}

function valueAt(data: unknown, path: readonly PathSeg[]): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PathSeg, unknown>)[seg];
  }
  return v;
}

function missingKey(path: PathSeg[]): RawIssue {
  const key = path[path.length - 1];
  return { path, anchor: 'parent', message: `missing required key "${String(key)}"` };
}

function unknownKey(path: PathSeg[], key: string, node: JsonSchemaNode | undefined): RawIssue {
  const allowed = allowedKeys(node);
  const guess = suggest(key, allowed);
  let message = `unknown key "${key}"`;
  if (guess) message += ` (did you mean "${guess}"?)`;
  else if (allowed.length > 0) message += `; allowed keys: ${allowed.join(', ')}`;
  return { path: [...path, key], anchor: 'key', message };
}

/** A union fails in every branch: report the branch that got past the type check, else the type. */
function unionIssue(issue: z.core.$ZodIssueInvalidUnion, path: PathSeg[], value: unknown, ctx: MapContext): RawIssue[] {
  if (value === undefined) return [missingKey(path)];
  const typeOnly = (i: ZodIssue): boolean => i.code === 'invalid_type' && i.path.length === 0;
  const deeper = issue.errors.find((branch) => branch.length > 0 && !branch.every(typeOnly));
  if (deeper) return deeper.flatMap((i) => mapIssue(i, path, ctx));
  const expected = describeExpected(schemaAt(ctx.schema, path)) ?? 'another value';
  return [{ path, anchor: 'value', message: `expected ${expected}, found ${describeFoundType(value)}` }];
}

function enumMessage(values: readonly unknown[], value: unknown): string {
  const options = values.map((v) => JSON.stringify(v)).join(', ');
  const found = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? describeFoundValue(value) : describeFoundType(value);
  const guess = typeof value === 'string' ? suggest(value, values.map(String)) : undefined;
  return `expected one of ${options}, found ${found}${guess ? ` (did you mean "${guess}"?)` : ''}`;
}

const FORMATS: Record<string, string> = {
  url: 'a URL such as "https://hooks.example.com/djc"',
  email: 'an email address',
  regex: 'a string of the right form',
};

function formatMessage(issue: z.core.$ZodIssueInvalidStringFormat, value: unknown): string {
  const found = describeFoundValue(value);
  // zod's own messages start with "Invalid"; the schema's custom ones say what is expected.
  if (!issue.message.startsWith('Invalid')) return issue.message.includes('found') ? issue.message : `${issue.message}, found ${found}`;
  return `expected ${FORMATS[issue.format] ?? `a valid ${issue.format}`}, found ${found}`;
}
