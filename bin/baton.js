#!/usr/bin/env node
// In a checkout (src/ present) the CLI runs the TypeScript sources through tsx, so edits take
// effect without a build; an installed package runs its compiled dist/.
import { existsSync } from 'node:fs';

const checkout = new URL('../src/cli/main.ts', import.meta.url);
if (existsSync(checkout)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(checkout.href);
} else {
  await import(new URL('../dist/cli/main.js', import.meta.url).href);
}
