// A plain JavaScript module handler.
export async function upper(records) {
  return records.map((r) => String(r).toUpperCase()).join('\n') + '\n';
}

export function bytes(records) {
  return Buffer.from(`${records.length} records\n`);
}

export default function echo(records) {
  return records;
}

export function batchInfo(_records, ctx) {
  return ctx.batch;
}
