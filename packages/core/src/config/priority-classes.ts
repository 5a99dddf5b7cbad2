/** Named priority classes; an integer priority is also accepted (higher runs first). Its own module: the queue's readers need it without the config schema (zod). */
export const PRIORITY_CLASSES = { low: 10, normal: 20, high: 30, urgent: 40 } as const;
export type PriorityClass = keyof typeof PRIORITY_CLASSES;
