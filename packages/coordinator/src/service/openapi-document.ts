/** The API's OpenAPI document, as /v1/openapi.json serves it, without a backend (scripts/gen-openapi.mjs writes docs/openapi.json from it). */
import { createLogger, type Backend } from '@djc/core';
import { createService } from './create-service.js';

export async function openApiDocument(): Promise<unknown> {
  // Building the routes reads nothing; a handler that ran would be a bug here.
  const backend = new Proxy({}, { get: () => { throw new Error('openApiDocument: no backend'); } }) as Backend;
  const app = await createService({ backend, log: createLogger({ name: 'djc-openapi', level: 'silent' }), home: '', transport: 'unix' });
  try {
    return app.swagger();
  } finally {
    await app.close();
  }
}
