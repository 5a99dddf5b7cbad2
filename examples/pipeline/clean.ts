/** Keeps the paid orders (not refunded or cancelled ones), with their amount in cents. */
interface Order { order_id: string; region: string; product: string; qty: string; unit_price_cents: string; status: string }

export interface CleanOrder { id: number; region: string; product: string; cents: number }

export function clean(records: Order[]): CleanOrder[] {
  return records
    .filter((o) => o.status === 'paid')
    .map((o) => ({ id: Number(o.order_id), region: o.region, product: o.product, cents: Number(o.qty) * Number(o.unit_price_cents) }));
}
