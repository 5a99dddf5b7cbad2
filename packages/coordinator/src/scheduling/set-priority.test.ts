import { PrioritySchema } from '@djc/core/schemas';
import { describe, expect, it } from 'vitest';
import { parsePriority } from './set-priority.js';

// parsePriority checks by hand what the config's PrioritySchema accepts (zod stays off the submit path).
describe('parsePriority', () => {
  it('accepts exactly what PrioritySchema accepts, and names the flag otherwise', () => {
    for (const text of ['low', 'normal', 'high', 'urgent', ' high ', '0', '25', '-5', '1000', '-1000', '1001', '-1001', '1.5', 'abc', '', 'toString', '__proto__', 'HIGH', '1e3']) {
      const value = /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim();
      const zod = PrioritySchema.safeParse(value);
      if (zod.success) expect(parsePriority(text), text).toBe(zod.data);
      else expect(() => parsePriority(text, '--priority'), text).toThrow(/^--priority: expected low, normal, high, urgent or an integer from -1000 to 1000/);
    }
  });
});
