/**
 * The deliveries one SqsTaskQueue handed out, by receipt. SQS needs the
 * ReceiptHandle to extend, release or delete a delivery, and deadLetter
 * needs the body to copy it to the DLQ, so the receipt given to callers is a
 * random key into this map rather than the handle itself.
 *
 * - A receipt is live from `add` until `forget` (delete, release, dead
 *   letter, or SQS saying the handle is stale). An unknown receipt (never
 *   issued here, forgotten, or mangled) makes the queue's methods no-ops, as
 *   the TaskQueue contract asks of stale receipts.
 * - Receiving a message again supersedes its earlier receipt here (same
 *   MessageId): the newer delivery owns the message. A delivery made to
 *   another process cannot be seen; there SQS itself decides (an outdated
 *   handle may still delete the message on AWS; the StateStore's conditional
 *   claim keeps that harmless).
 * - Bounded: beyond `limit` live receipts (default 10,000: far more than a
 *   worker holds) the oldest is dropped, and its delivery is then left to
 *   its visibility timeout.
 */
import { randomUUID } from 'node:crypto';

export interface Delivery {
  handle: string;
  body: string;
  messageId: string;
}

export class Deliveries {
  private readonly byReceipt = new Map<string, Delivery>();
  private readonly receiptOf = new Map<string, string>();

  constructor(private readonly limit = 10_000) {}

  /** Registers a delivery; returns its new receipt. */
  add(d: Delivery): string {
    const previous = this.receiptOf.get(d.messageId);
    if (previous !== undefined) this.byReceipt.delete(previous);
    const receipt = randomUUID();
    this.byReceipt.set(receipt, d);
    this.receiptOf.set(d.messageId, receipt);
    while (this.byReceipt.size > this.limit) {
      const oldest = this.byReceipt.keys().next().value as string;
      this.forget(oldest);
    }
    return receipt;
  }

  get(receipt: string): Delivery | undefined {
    return this.byReceipt.get(receipt);
  }

  forget(receipt: string): void {
    const d = this.byReceipt.get(receipt);
    if (!d) return;
    this.byReceipt.delete(receipt);
    if (this.receiptOf.get(d.messageId) === receipt) this.receiptOf.delete(d.messageId);
  }

  get size(): number {
    return this.byReceipt.size;
  }

  clear(): void {
    this.byReceipt.clear();
    this.receiptOf.clear();
  }
}
