/**
 * The job file as parsed YAML: its plain data, its syntax errors, and where
 * (line, column) each YAML path sits in it, so every issue can point there.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type YAMLError } from 'yaml';
import type { PathSeg } from './describe.js';

/** Where a problem sits in the job file. */
export interface Position {
  line: number;
  col: number;
}

/** How an issue points into the file: at a value, at its key, or at the mapping that lacks a key. */
export type Anchor = 'value' | 'key' | 'parent';

export interface YamlSource {
  /** The document as plain data (null for an empty file). */
  data: unknown;
  /** sha256 (hex) of the file's bytes as read: what a snapshot records. */
  sha256: string;
  /** Position of the node at `path` (see `Anchor`), or undefined if the file has no such node. */
  locate(path: readonly PathSeg[], anchor: Anchor): Position | undefined;
}

export type ReadResult =
  | { ok: true; source: YamlSource }
  | { ok: false; problems: Array<{ message: string; position?: Position }> };

/** Reads and parses the file; I/O and syntax errors come back as problems, never thrown. */
export async function readYamlSource(file: string): Promise<ReadResult> {
  let text: string;
  let sha256: string;
  try {
    const bytes = await readFile(file);
    sha256 = createHash('sha256').update(bytes).digest('hex');
    text = bytes.toString('utf8');
  } catch (e) {
    return { ok: false, problems: [{ message: `cannot read ${file}: ${describeFsError(e)}` }] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    return { ok: false, problems: doc.errors.map((e) => syntaxProblem(e, text)) };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    return { ok: false, problems: [{ message: `invalid YAML: ${(e as Error).message}` }] };
  }
  const pos = (offset: number): Position => lineCounter.linePos(offset);
  return { ok: true, source: { data, sha256, locate: (path, anchor) => locate(doc, path, anchor, pos) } };
}

function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const text = /^[A-Z]+: ([^,]+)/.exec(err.message)?.[1] ?? err.message;
  return err.code ? `${text} (${err.code})` : text;
}

function syntaxProblem(e: YAMLError, text: string): { message: string; position?: Position } {
  const position = e.linePos?.[0];
  const firstLine = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
  let message = `invalid YAML: ${firstLine}`;
  if (e.code === 'MULTIPLE_DOCS') message = 'invalid YAML: the file holds more than one document ("---"); a job file holds one job';
  if (e.code === 'DUPLICATE_KEY') {
    const key = /^\s*["']?([^"':\n]+)/.exec(text.slice(e.pos[0]))?.[1]?.trim();
    message = `invalid YAML: duplicate key${key ? ` "${key}"` : ''} (each key may appear once in a mapping)`;
  }
  return position ? { message, position: { line: position.line, col: position.col } } : { message };
}

interface Step {
  node: Node | null;
  pair?: Pair;
}

/** The nodes along `path`, as far as the document has them. */
function walk(doc: Document, path: readonly PathSeg[]): Step[] {
  const steps: Step[] = [{ node: doc.contents }];
  let node: unknown = doc.contents;
  for (const seg of path) {
    let next: Step | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (pair) next = { node: (pair.value as Node | null) ?? null, pair: pair as Pair };
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item !== undefined) next = { node: item as Node };
    }
    if (!next) break;
    steps.push(next);
    node = next.node;
  }
  return steps;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

function locate(doc: Document, path: readonly PathSeg[], anchor: Anchor, pos: (offset: number) => Position): Position | undefined {
  const target = anchor === 'parent' ? path.slice(0, -1) : path;
  const steps = walk(doc, target);
  const found = steps.length === target.length + 1;
  const last = steps[steps.length - 1];
  if (!last) return undefined;
  const keyRange = (last.pair?.key as Node | undefined)?.range;
  const valueRange = last.node?.range;
  const emptyValue = !last.node || (isScalar(last.node) && last.node.value === null && last.node.source === '');
  // Values point at themselves; keys, collections, empty values and half-found paths at their key.
  const wantValue = found && anchor === 'value' && !emptyValue && isScalar(last.node);
  const range = wantValue ? valueRange : (keyRange ?? valueRange);
  return range ? pos(range[0]) : { line: 1, col: 1 };
}
