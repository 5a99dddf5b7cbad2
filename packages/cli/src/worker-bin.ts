#!/usr/bin/env node
/**
 * `djc-worker`, installed with the `djc` command (npm link, or a global
 * install of this package): the worker package's own entry point, so both
 * commands land on PATH together. Same as `djc worker`.
 */
import '@djc/worker/bin';
