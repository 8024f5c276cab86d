#!/usr/bin/env node
// The `berth` command: runs the compiled CLI from dist/ (built by `npm run build`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';

// The daemons keep V8's young generation at its first size (two 1 MiB semi-spaces). V8 doubles it
// whenever most young objects survive a scavenge, which start-up's module loading always does,
// up to two 16 MiB semi-spaces that stay resident while berth idles. A request's garbage dies
// young, so the small size costs a few more short scavenges. `berth runtime` 3 s after start:
// 87-92 MiB resident before, 76 after (bench/analysis.md). V8 reads the factor at each growth, so
// it must be set before the CLI loads; the command-line --max-semi-space-size cannot be set here.
if (['runtime', 'node', 'join'].includes(process.argv[2] ?? '')) setFlagsFromString('--semi-space-growth-factor=1');

const main = join(dirname(fileURLToPath(import.meta.url)), '../dist/cli/main.js');
if (!existsSync(main)) {
  console.error(`berth: ${main} is missing; run "npm run build" first`);
  process.exit(1);
}
const { run } = await import(pathToFileURL(main).href);
process.exitCode = await run(process.argv);
