#!/usr/bin/env node
// Compiled code is cached on disk (Node 22+): a worker process, started
// once per worker of every job, skips most of the parsing and compiling.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
await import('./bin-main.js');
