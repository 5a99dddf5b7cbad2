#!/usr/bin/env node
// Compiled code is cached on disk (Node 22+), so every later start skips
// most of the parsing and compiling of djc and its dependencies.
// A namespace import: Node 20 has no enableCompileCache, and a named import of it fails to link.
import * as nodeModule from 'node:module';

(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./main.js');
