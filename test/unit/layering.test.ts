// berth's one direction of dependency, checked on every import in the tree:
//   cli → kubelet → CRI client ⇢ (socket) ⇢ cri server → runtime → cni; common is a leaf.
// berth's own image API goes the same way: cli/images → cri/client ⇢ (socket) ⇢ cri/berth → runtime.
// api/ (the generated CRI and berth.v1 types and their loaders) is neutral: every layer may use it,
// and it uses nothing but common/. The kubelet must drive any CRI runtime through its socket, so it may use api/ and
// cri/client but never the cri server or runtime/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../common/package-root.js';

interface Rule {
  from: string;
  forbidden: string[];
  except?: string[];
}

const rules: Rule[] = [
  { from: 'common/', forbidden: ['cli/', 'kubelet/', 'cri/', 'runtime/', 'cni/'] },
  { from: 'cni/', forbidden: ['cli/', 'kubelet/', 'cri/', 'runtime/'] },
  // runtime/ may use the generated CRI message types (the single source of truth for CRI
  // shapes) but none of the server.
  { from: 'api/', forbidden: ['cli/', 'kubelet/', 'cri/', 'runtime/', 'cni/'] },
  { from: 'runtime/', forbidden: ['cli/', 'kubelet/', 'cri/'] },
  // The clients (of the CRI and of berth.v1.Images) reach the server only through the socket.
  { from: 'cri/client/', forbidden: ['cli/', 'kubelet/', 'runtime/', 'cri/server/', 'cri/runtime/', 'cri/image/', 'cri/berth/'] },
  { from: 'cri/', forbidden: ['cli/', 'kubelet/'] },
  // docker's image commands are clients of berth.v1.Images: never the stores themselves.
  { from: 'cli/images/', forbidden: ['runtime/', 'cri/server/', 'cri/berth/', 'cri/image/', 'cri/runtime/'] },
  { from: 'kubelet/', forbidden: ['cli/', 'runtime/', 'cri/', 'cni/'], except: ['cri/client/'] },
];

/** The berth-relative paths a source file imports (relative specifiers only). */
function importsOf(file: string, source: string): string[] {
  const specifiers = [...source.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? '').filter((s) => s.startsWith('.'));
  return specifiers.map((s) => normalize(join(dirname(file), s)));
}

/** Violations as "file → import" strings. */
function layeringViolations(files: Map<string, string>): string[] {
  const violations: string[] = [];
  for (const [file, source] of files) {
    const rule = rules.find((r) => file.startsWith(r.from));
    if (!rule) continue;
    for (const target of importsOf(file, source)) {
      const allowed = rule.except?.some((e) => target.startsWith(e)) ?? false;
      if (!allowed && rule.forbidden.some((f) => target.startsWith(f))) violations.push(`${file} → ${target}`);
    }
  }
  return violations;
}

function sourceFiles(root: string, dir: string, out = new Map<string, string>()): Map<string, string> {
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'generated') continue;
    if (statSync(join(root, path)).isDirectory()) sourceFiles(root, path, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.set(relative('.', path), readFileSync(join(root, path), 'utf8'));
  }
  return out;
}

describe('layering', () => {
  it('holds for every source file in the tree', () => {
    const root = packageRoot();
    const files = new Map<string, string>();
    for (const dir of ['api', 'common', 'cni', 'runtime', 'cri', 'kubelet', 'cli']) sourceFiles(root, dir, files);
    expect(files.size).toBeGreaterThan(0);
    expect(layeringViolations(files)).toEqual([]);
  });

  it.each([
    ['kubelet/pod-worker.ts', "import { createContainer } from '../runtime/containers.js';", 'kubelet/pod-worker.ts → runtime/containers.js'],
    ['kubelet/sync.ts', "import { serve } from '../cri/server/serve.js';", 'kubelet/sync.ts → cri/server/serve.js'],
    ['runtime/images/pull.ts', "export { x } from '../../cri/errors.js';", 'runtime/images/pull.ts → cri/errors.js'],
    ['common/log.ts', "const m = await import('../cli/main.js');", 'common/log.ts → cli/main.js'],
    ['cri/client/images.ts', "import { Images } from '../../runtime/images/images.js';", 'cri/client/images.ts → runtime/images/images.js'],
    ['cli/images/save.ts', "import { save } from '../../cri/berth/save.js';", 'cli/images/save.ts → cri/berth/save.js'],
  ])('fires for %s', (file, source, expected) => {
    expect(layeringViolations(new Map([[file, source]]))).toEqual([expected]);
  });

  it('lets the kubelet use the CRI client and the generated API', () => {
    const source = "import { CriClient } from '../cri/client/client.js';\nimport { loadCri } from '../api/cri/load.js';";
    expect(layeringViolations(new Map([['kubelet/runtime-client.ts', source]]))).toEqual([]);
  });
});
