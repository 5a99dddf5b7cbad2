/** Histograms and quantiles of a bounded list of figures, for the run report. Pure. */

export interface HistogramBin {
  /** Lower bound (inclusive). */
  from: number;
  /** Upper bound (exclusive; inclusive for the last bin). */
  to: number;
  count: number;
}

export interface Histogram {
  /** Figures counted. */
  count: number;
  min: number | null;
  median: number | null;
  p95: number | null;
  max: number | null;
  bins: HistogramBin[];
}

/** Equal-width bins from the smallest to the largest figure (one bin when all are equal; none when there are none). */
export function histogram(values: readonly number[], binCount = 20): Histogram {
  if (values.length === 0) return { count: 0, min: null, median: null, p95: null, max: null, bins: [] };
  const sorted = [...values].sort((a, b) => a - b);
  const min = sorted[0] as number;
  const max = sorted[sorted.length - 1] as number;
  const n = max === min ? 1 : binCount;
  const width = (max - min) / n || 1;
  const bins: HistogramBin[] = Array.from({ length: n }, (_, i) => ({ from: min + i * width, to: i === n - 1 ? max : min + (i + 1) * width, count: 0 }));
  for (const v of sorted) (bins[Math.min(n - 1, Math.floor((v - min) / width))] as HistogramBin).count++;
  return { count: sorted.length, min, median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max, bins };
}

/** Nearest-rank quantile of sorted figures. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
