/**
 * Where a value of a merged pipeline (or job) came from: the file that set
 * it, and its path and line there. A merged document is made of layers
 * (the file, what it extends, a stage's extends, `defaults:`); an issue at
 * a merged path points into the first layer that holds the value.
 */
import type { PathSeg } from '../config/describe.js';
import type { Anchor, Position, YamlSource } from '../config/yaml-source.js';

/** One file's part of the merged document: merged paths under `from` are read at `to` + rest in `source`. */
export interface Layer {
  file: string;
  source: YamlSource;
  from: readonly PathSeg[];
  to: readonly PathSeg[];
}

export interface Located {
  file: string;
  /** The path in that file (e.g. "defaults.compute.workers" for a stage's value set by defaults). */
  path: PathSeg[];
  position?: Position;
}

const startsWith = (path: readonly PathSeg[], prefix: readonly PathSeg[]): boolean =>
  prefix.length <= path.length && prefix.every((seg, i) => path[i] === seg);

/** How many leading segments of `path` the data holds. */
function depthIn(data: unknown, path: readonly PathSeg[]): number {
  let v = data;
  for (let i = 0; i < path.length; i++) {
    if (v === null || typeof v !== 'object') return i;
    const next = (v as Record<PathSeg, unknown>)[path[i] as PathSeg];
    if (next === undefined) return i;
    v = next;
  }
  return path.length;
}

/**
 * The first layer that holds the whole path; else the one that holds the
 * longest part of it (a missing key is shown at its parent), earlier layers
 * first. Layers are in precedence order.
 */
export function locateIn(layers: readonly Layer[], path: readonly PathSeg[], anchor: Anchor): Located | undefined {
  let best: { layer: Layer; mapped: PathSeg[]; depth: number } | undefined;
  for (const layer of layers) {
    if (!startsWith(path, layer.from)) continue;
    const mapped = [...layer.to, ...path.slice(layer.from.length)];
    const depth = depthIn(layer.source.data, mapped);
    if (depth === mapped.length) return at(layer, mapped, anchor);
    if (best === undefined || depth - layer.to.length > best.depth) best = { layer, mapped, depth: depth - layer.to.length };
  }
  return best ? at(best.layer, best.mapped, anchor) : undefined;
}

function at(layer: Layer, path: PathSeg[], anchor: Anchor): Located {
  const position = layer.source.locate(path, anchor);
  return position ? { file: layer.file, path, position } : { file: layer.file, path };
}
