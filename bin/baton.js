#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader, so the CLI works from a fresh clone without a build.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
