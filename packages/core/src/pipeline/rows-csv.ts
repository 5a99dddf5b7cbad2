/**
 * `matrix.rows: ./grid.csv`: one point per row, the header names the axes,
 * values are text. One record per line (no quoted line breaks); quotes as
 * in the CSV input (a field starting with " is quoted). Problems name the
 * file and line.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ConfigIssue } from '../config/issues.js';
import { BadRecordError, parseCsvFields } from '../partition/csv-fields.js';
import { pointKey } from './matrix.js';
import type { Point, SourceFile } from './types.js';

export interface Rows {
  header: string[];
  points: Point[];
  source: SourceFile | null;
  issues: ConfigIssue[];
}

const AXIS_RE = /^[A-Za-z_][\w-]*$/;

export async function readRowsCsv(file: string): Promise<Rows> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${code ?? String(e)})`;
    return { header: [], points: [], source: null, issues: [{ file, path: '', message: `the matrix rows file ${why}` }] };
  }
  const source = { path: file, sha256: createHash('sha256').update(bytes).digest('hex') };
  const issues: ConfigIssue[] = [];
  const at = (line: number, message: string): void => void issues.push({ file, path: '', line, col: 1, message });
  const lines = bytes.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  const rows: Array<{ line: number; fields: string[] }> = [];
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    try {
      rows.push({ line: i + 1, fields: parseCsvFields(text, ',', '"') });
    } catch (e) {
      if (!(e instanceof BadRecordError)) throw e;
      at(i + 1, `not a CSV row: ${e.message}`);
    }
  });
  const [head, ...body] = rows;
  if (!head) return { header: [], points: [], source, issues: [...issues, { file, path: '', message: 'the matrix rows file is empty: its first line names the axes' }] };
  const header = head.fields.map((f) => f.trim());
  header.forEach((h, i) => {
    if (!AXIS_RE.test(h)) at(head.line, `column ${i + 1} of the header: ${JSON.stringify(h)} is not an axis name (letters, digits, _ and -, not starting with a digit)`);
    else if (header.indexOf(h) !== i) at(head.line, `column ${i + 1} of the header: axis ${h} appears twice`);
  });
  if (body.length === 0) at(head.line, 'the matrix rows file has a header but no rows: add one row per point');
  const seen = new Map<string, number>();
  const points: Point[] = [];
  for (const row of body) {
    if (row.fields.length !== header.length) {
      at(row.line, `has ${row.fields.length} field${row.fields.length === 1 ? '' : 's'}, the header ${header.length}`);
      continue;
    }
    const point = Object.fromEntries(header.map((h, i) => [h, row.fields[i] as string]));
    const key = pointKey(point);
    const first = seen.get(key);
    if (first !== undefined) at(row.line, `repeats the point of line ${first}: every row must be a different point`);
    else seen.set(key, row.line);
    points.push(point);
  }
  return { header, points, source, issues };
}
