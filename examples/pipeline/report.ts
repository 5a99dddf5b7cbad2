/** The report: every region's revenue and order count, from the per-batch sums of by_region. */
interface RegionSum { region: string; cents: number; orders: number }

export function pass(records: RegionSum[]): RegionSum[] {
  return records;
}

export async function build(outputs: AsyncIterable<RegionSum[]>): Promise<{ regions: RegionSum[]; cents: number; orders: number }> {
  const by = new Map<string, RegionSum>();
  for await (const batch of outputs) {
    for (const s of batch) {
      const t = by.get(s.region) ?? { region: s.region, cents: 0, orders: 0 };
      t.cents += s.cents;
      t.orders += s.orders;
      by.set(s.region, t);
    }
  }
  const regions = [...by.values()].sort((a, b) => b.cents - a.cents);
  return { regions, cents: regions.reduce((n, r) => n + r.cents, 0), orders: regions.reduce((n, r) => n + r.orders, 0) };
}
