/** The n largest items by a key, kept in a bounded array while items stream by. Pure. */
export class TopN<T> {
  private readonly items: { key: number; tie: number; item: T }[] = [];

  constructor(private readonly n: number) {}

  /** Larger `key` first; equal keys: smaller `tie` first. */
  add(key: number, tie: number, item: T): void {
    const { items, n } = this;
    if (items.length === n) {
      const last = items[n - 1] as { key: number; tie: number };
      if (key < last.key || (key === last.key && tie > last.tie)) return;
    }
    let i = items.length;
    while (i > 0 && ((items[i - 1] as { key: number }).key < key || ((items[i - 1] as { key: number }).key === key && (items[i - 1] as { tie: number }).tie > tie))) i--;
    items.splice(i, 0, { key, tie, item });
    if (items.length > n) items.pop();
  }

  values(): T[] {
    return this.items.map((x) => x.item);
  }
}
