#!/usr/bin/env node
// The `berth` command: runs the compiled CLI from dist/ (built by `npm run build`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli/main.js');
if (!existsSync(main)) {
  console.error(`berth: ${main} is missing; run "npm run build" first`);
  process.exit(1);
}
const { run } = await import(pathToFileURL(main).href);
process.exitCode = await run(process.argv);
