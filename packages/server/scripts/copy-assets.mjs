// Copies the files the compiled package reads at run time (the dashboard's static assets) into dist/.
import { cpSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
cpSync(path.join(root, 'src/dashboard'), path.join(root, 'dist/dashboard'), { recursive: true });
