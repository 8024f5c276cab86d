import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainerStatus__Output } from '../../../api/cri/messages.js';
import {
  lastLogLines,
  readTerminationMessage,
  terminationMessageHostPath,
  terminationMessagePathAnnotation,
  terminationMessagePolicyAnnotation,
  type TerminationMessageDirs,
} from '../../../kubelet/termination-message.js';

let work: string;
let dirs: TerminationMessageDirs;
let outside: string;

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'berth-termination-'));
  dirs = { podsDir: join(work, 'pods'), podLogsDir: join(work, 'logs') };
  mkdirSync(dirs.podsDir);
  mkdirSync(dirs.podLogsDir);
  outside = join(work, 'host-secret');
  writeFileSync(outside, 'host secret\n');
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function messageFile(content: string): string {
  const path = terminationMessageHostPath(dirs.podsDir, 'uid-1', 'main', 0);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

function logFile(content: string): string {
  const path = join(dirs.podLogsDir, 'ns_pod_uid-1', 'main', '0.log');
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

function exited(options: { hostPath?: string; logPath?: string; policy?: string; exitCode?: number; reason?: string }): ContainerStatus__Output {
  return {
    state: 'CONTAINER_EXITED',
    exitCode: options.exitCode ?? 1,
    reason: options.reason ?? 'Error',
    annotations: { [terminationMessagePathAnnotation]: '/dev/termination-log', [terminationMessagePolicyAnnotation]: options.policy ?? 'File' },
    mounts: options.hostPath ? [{ containerPath: '/dev/termination-log', hostPath: options.hostPath, readonly: false }] : [],
    logPath: options.logPath ?? '',
  } as unknown as ContainerStatus__Output;
}

describe('termination messages', () => {
  it('reads the file the container wrote, at most 4096 bytes', async () => {
    expect(await readTerminationMessage(exited({ hostPath: messageFile('OK') }), dirs)).toBe('OK');
    expect(await readTerminationMessage(exited({ hostPath: messageFile('x'.repeat(5000)) }), dirs)).toHaveLength(4096);
  });

  it('falls back to the log tail only with FallbackToLogsOnError, an empty file and a failure', async () => {
    const log = logFile('2026-12-07T00:00:00.000000000Z stdout P DONE\n');
    const hostPath = messageFile('');
    expect(await readTerminationMessage(exited({ hostPath, logPath: log, policy: 'FallbackToLogsOnError' }), dirs)).toBe('DONE');
    expect(await readTerminationMessage(exited({ hostPath, logPath: log, policy: 'File' }), dirs)).toBe('');
    expect(await readTerminationMessage(exited({ hostPath, logPath: log, policy: 'FallbackToLogsOnError', exitCode: 0 }), dirs)).toBe('');
    expect(await readTerminationMessage(exited({ hostPath, logPath: log, policy: 'FallbackToLogsOnError', reason: 'ContainerCannotRun' }), dirs)).toBe('');
    // A file with a message wins over the log.
    expect(await readTerminationMessage(exited({ hostPath: messageFile('from file'), logPath: log, policy: 'FallbackToLogsOnError' }), dirs)).toBe('from file');
  });

  it('never reads a host file the kubelet does not own: a mount or log path elsewhere, or a symlink out', async () => {
    expect(await readTerminationMessage(exited({ hostPath: outside }), dirs)).toBe('');
    const link = join(dirs.podsDir, 'link');
    symlinkSync(outside, link);
    expect(await readTerminationMessage(exited({ hostPath: link }), dirs)).toBe('');
    expect(await readTerminationMessage(exited({ hostPath: join(dirs.podsDir, '../host-secret') }), dirs)).toBe('');
    expect(await readTerminationMessage(exited({ logPath: outside, policy: 'FallbackToLogsOnError' }), dirs)).toBe('');
    const logLink = join(dirs.podLogsDir, 'link.log');
    symlinkSync(outside, logLink);
    expect(await readTerminationMessage(exited({ logPath: logLink, policy: 'FallbackToLogsOnError' }), dirs)).toBe('');
    // A directory where the file should be is nothing to read either.
    expect(await readTerminationMessage(exited({ hostPath: dirs.podsDir }), dirs)).toBe('');
  });

  it('takes the last 80 lines of a CRI log, joining partial records', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `2026-12-07T00:00:00Z stdout F line ${i}`);
    const tail = lastLogLines(`${lines.join('\n')}\n`);
    expect(tail.split('\n').filter(Boolean)).toHaveLength(80);
    expect(tail.startsWith('line 20\n')).toBe(true);
    expect(lastLogLines('t stdout P par\nt stderr F tial\nt stdout F next\n')).toBe('partial\nnext\n');
    expect(lastLogLines('not a cri line\n')).toBe('');
  });
});
