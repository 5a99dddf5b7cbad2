export { schedule } from './schedule.js';
export { effectivePriority, grantOrder } from './order.js';
export { fairShareUsage, type OwnerAllocations } from './fair-share.js';
export { buildQueueDocument, priorityLabel, QUEUE_DOCUMENT_VERSION, type JobStart, type QueueDocumentInput } from './queue-document.js';
export { parseQueueDocument, readQueueDocument, writeQueueDocument, queueJson, QUEUE_DOCUMENT_KEY, QUEUE_STALE_MS } from './queue-store.js';
export type * from './types.js';
