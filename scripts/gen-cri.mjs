#!/usr/bin/env node
// Generates berth's CRI code from the k8s.io/cri-api Go module at the version pinned in
// setup/versions.env: copies api.proto next to the loader and runs proto-loader-gen-types for
// TypeScript types and service definitions. Nothing generated is committed; a stamp with the
// version skips the work when it is already done.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'cri/api/generated');
const stampPath = join(outDir, 'VERSION');

// Sourced by bash, as every setup script does, so versions.env has a single reader format.
const version = execFileSync('bash', ['-c', 'source "$0" && printf %s "$CRI_API_VERSION"', join(root, 'setup/versions.env')], {
  encoding: 'utf8',
});
if (!version) throw new Error('setup/versions.env has no CRI_API_VERSION');

if (existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === version) {
  process.exit(0);
}

console.error(`gen-cri: generating CRI ${version} from k8s.io/cri-api`);
const download = JSON.parse(
  execFileSync('go', ['mod', 'download', '-json', `k8s.io/cri-api@${version}`], {
    encoding: 'utf8',
    // Outside any module, so the user's working directory cannot change what is resolved.
    cwd: '/',
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  }),
);
if (download.Error) throw new Error(`go mod download k8s.io/cri-api@${version}: ${download.Error}`);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const protoPath = join(outDir, 'api.proto');
copyFileSync(join(download.Dir, 'pkg/apis/runtime/v1/api.proto'), protoPath);

// These options must match the ones cri/api/load.ts passes to @grpc/proto-loader.
execFileSync(
  join(root, 'node_modules/.bin/proto-loader-gen-types'),
  [
    '--grpcLib=@grpc/grpc-js',
    '--longs=String',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--inputTemplate=%s',
    '--outputTemplate=%s__Output',
    '--importFileExtension=.js',
    `--outDir=${join(outDir, 'types')}`,
    protoPath,
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
writeFileSync(stampPath, `${version}\n`);
console.error(`gen-cri: wrote ${outDir}`);
