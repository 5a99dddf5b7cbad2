/**
 * `@djc/coordinator/service`: the HTTP API (docs/api.md). A sub-path of its
 * own so that commands other than `djc coordinator` never load Fastify.
 */
export { serveApi, API_SOCKET, parseListen, isLoopback, type ServeOptions, type RunningApi } from './serve-api.js';
export { createService, API_INFO, type ServiceOptions, type ServiceApp } from './create-service.js';
export { openApiDocument } from './openapi-document.js';
export { createAuthorizer, type Authorizer, type AuthRequest, type AuthResult, type Principal, type Scope } from './auth/authorizer.js';
