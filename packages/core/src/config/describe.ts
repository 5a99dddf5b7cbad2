/**
 * Words for config error messages: what a key expects (read from the JSON
 * Schema generated from the zod schema, so messages follow the schema), what
 * was found, and "did you mean" suggestions.
 */

/** The subset of JSON Schema that `z.toJSONSchema` emits for the job schema. */
export interface JsonSchemaNode {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchemaNode[];
  properties?: Record<string, JsonSchemaNode>;
  additionalProperties?: boolean | JsonSchemaNode;
  items?: JsonSchemaNode;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  format?: string;
}

export type PathSeg = string | number;

/** "input.batch.records", "notification.on[1]", "labels[\"a.b\"]"; "" for the root. */
export function formatPath(path: readonly PathSeg[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[\w-]+$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The schema node that describes the value at `path`, if the schema knows it. */
export function schemaAt(root: JsonSchemaNode, path: readonly PathSeg[]): JsonSchemaNode | undefined {
  let node: JsonSchemaNode | undefined = root;
  for (const seg of path) {
    if (!node) return undefined;
    node = step(node, seg);
  }
  return node;
}

function step(node: JsonSchemaNode, seg: PathSeg): JsonSchemaNode | undefined {
  if (node.anyOf) {
    for (const option of node.anyOf) {
      const next = step(option, seg);
      if (next) return next;
    }
    return undefined;
  }
  if (typeof seg === 'number') return node.items;
  const prop = node.properties?.[seg];
  if (prop) return prop;
  return typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
}

/** The keys an object node allows (for "did you mean"). */
export function allowedKeys(node: JsonSchemaNode | undefined): string[] {
  return Object.keys(node?.properties ?? {});
}

/** "a positive integer", "one of \"jsonl\", \"csv\"", "a duration such as ...". */
export function describeExpected(node: JsonSchemaNode | undefined): string | undefined {
  if (!node) return undefined;
  const phrase = descriptionPhrase(node);
  if (phrase) return phrase;
  if (node.enum) return `one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.anyOf) return joinOr(node.anyOf.map((n) => describeExpected(n) ?? 'a value'));
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  if (types.length === 0) return undefined;
  return joinOr(types.map((t) => describeType(t, node)));
}

/** Durations, sizes and percentages say what they accept after ": " in their description. */
function descriptionPhrase(node: JsonSchemaNode): string | undefined {
  const isUnion = Boolean(node.anyOf) || (Array.isArray(node.type) && !node.type.includes('null'));
  if (!isUnion || !node.description) return undefined;
  const at = node.description.lastIndexOf(': ');
  return at < 0 ? undefined : node.description.slice(at + 2);
}

function describeType(type: string, node: JsonSchemaNode): string {
  switch (type) {
    case 'integer':
    case 'number':
      return describeNumber(type, node);
    case 'string':
      if (node.format === 'uri') return 'a URL';
      if (node.minLength === 1 && node.maxLength === 1) return 'a single character';
      return node.minLength ? 'a non-empty string' : 'a string';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'null';
    case 'array':
      return `${node.minItems ? 'a non-empty list' : 'a list'}${node.items ? ` of ${describePlural(node.items)}` : ''}`;
    case 'object':
      return typeof node.additionalProperties === 'object'
        ? `a mapping of names to ${describePlural(node.additionalProperties)}`
        : 'a mapping';
    default:
      return `a ${type}`;
  }
}

function describeNumber(type: 'integer' | 'number', node: JsonSchemaNode): string {
  const noun = type === 'integer' ? 'an integer' : 'a number';
  if (node.exclusiveMinimum === 0 && !bounded(node.maximum)) return `a positive ${type}`;
  // An integer above N is an integer of at least N + 1.
  const min = node.minimum ?? (type === 'integer' && node.exclusiveMinimum !== undefined ? node.exclusiveMinimum + 1 : undefined);
  const max = bounded(node.maximum) ? node.maximum : undefined;
  if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
  if (type === 'integer' && min === 1) return 'a positive integer';
  if (min === 0) return `a non-negative ${type}`;
  if (min !== undefined) return `${noun} of at least ${min}`;
  if (max !== undefined) return `${noun} of at most ${max}`;
  return noun;
}

/** zod writes Number.MAX_SAFE_INTEGER as the maximum of every int: not a real bound. */
function bounded(max: number | undefined): max is number {
  return max !== undefined && max < Number.MAX_SAFE_INTEGER;
}

function describePlural(node: JsonSchemaNode): string {
  if (node.enum) return `values from ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  const plural: Record<string, string> = { string: 'strings', number: 'numbers', integer: 'integers', boolean: 'booleans', object: 'mappings', array: 'lists' };
  const types = Array.isArray(node.type) ? node.type : node.type ? [node.type] : [];
  if (node.anyOf) return joinOr(node.anyOf.map(describePlural));
  return types.length ? joinOr(types.map((t) => plural[t] ?? t)) : 'values';
}

function joinOr(parts: string[]): string {
  const unique = [...new Set(parts)];
  if (unique.length <= 1) return unique[0] ?? '';
  return `${unique.slice(0, -1).join(', ')} or ${unique[unique.length - 1]}`;
}

/** For type errors: `string "four"`, `number 5`, `a mapping`, `null (an empty value)`. */
export function describeFoundType(value: unknown): string {
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `string ${quote(value)}`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'a mapping';
    default:
      return String(value);
  }
}

/** For value errors, where the type is right: `"x"`, `0`, `an empty list`. */
export function describeFoundValue(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value !== null && typeof value === 'object') return 'a mapping';
  return String(value);
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

/** The closest candidate by edit distance, if it is close enough to be a typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit && bestDistance < word.length ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = v;
    }
  }
  return at(a.length, b.length);
}
