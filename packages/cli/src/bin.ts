#!/usr/bin/env node
// Compiled code is cached on disk (Node 22+), so every later start skips
// most of the parsing and compiling of djc and its dependencies.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
await import('./main.js');
