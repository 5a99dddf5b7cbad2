/**
 * `@djc/core/schemas`: the zod schemas (the job config's, the daemon
 * settings', compute.speculate's, stored cache components') and what is
 * built on them (loadDaemonSettings, unitOfSchema, MODULE_REF, RETRYABLE,
 * toleratedFailure). Not in the package's index: importing zod and building
 * the schemas is ~30 ms of CPU, which `djc run` of a valid job file, whose
 * config is checked by hand (config/fast-check.ts), never needs. The index
 * exports their types, and the zod-free parts (defaultDaemonSettings,
 * lockIssue, the speculate threshold's parse and format).
 */
export * from './config/schema.js';
export * from './config/speculate-setting.js';
export * from './config/daemon-settings.js';
export * from './pipeline/cache-components.js';
