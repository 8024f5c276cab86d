// Pure parts of the conmon adapter: sync pipe messages, exit files, ids, command line.
import { describe, expect, it } from 'vitest';
import { Conmon, conmonCreateArgs } from '../../../runtime/oci/conmon.js';
import { parseSyncMessage } from '../../../runtime/oci/conmon-sync.js';
import { checkContainerId } from '../../../runtime/oci/container-id.js';
import { parseExitCode, unknownExit } from '../../../runtime/oci/exit-files.js';
import { silentLogger } from '../../../common/logger.js';

describe('parseSyncMessage', () => {
  it.each([
    ['{"data": 18571}', { ok: true, pid: 18571 }],
    ['{"pid": 42}', { ok: true, pid: 42 }],
    ['{"data": -1, "message": "runc said no"}', { ok: false, message: 'runc said no' }],
    ['{"data": -1}', { ok: false, message: 'conmon reported -1 without a message' }],
  ] as const)('reads %s', (line, expected) => {
    expect(parseSyncMessage(line)).toEqual(expected);
  });

  it.each([['not json'], ['[]'], ['{"data": "12"}'], ['{"data": 1.5}'], ['null']])('does not take %s for a message', (line) => {
    expect(parseSyncMessage(line)).toBeUndefined();
  });
});

describe('parseExitCode', () => {
  it.each([
    ['0', 0],
    ['137\n', 137],
    ['-1', 255],
  ] as const)('reads %j as %i', (text, code) => {
    expect(parseExitCode(text)).toBe(code);
  });

  it.each([[''], ['abc'], ['1 2'], ['99999999999']])('treats %j as no exit code yet', (text) => {
    expect(parseExitCode(text)).toBeUndefined();
  });

  it('describes an unknown exit with 255, a reason and a message naming the container', () => {
    expect(unknownExit('c1', 5n)).toMatchObject({ exitCode: 255, finishedAt: '5', reason: 'Unknown', message: expect.stringContaining('container c1') as unknown });
  });
});

describe('checkContainerId', () => {
  it.each([
    ['a parent directory', '..'],
    ['a path', 'a/b'],
    ['a traversal', 'abc..def'],
    ['an option', '-rf'],
    ['a leading dot', '.hidden'],
    ['whitespace', 'a b'],
    ['a newline', 'a\nb'],
    ['nothing', ''],
    ['too long', 'a'.repeat(129)],
  ])('refuses %s', (_name, id) => {
    expect(() => checkContainerId(id)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('accepts a 64-hex id', () => {
    expect(checkContainerId('ab'.repeat(32))).toBe('ab'.repeat(32));
  });
});

describe('conmonCreateArgs', () => {
  const runtime = { name: 'runc' as const, path: '/usr/sbin/runc', globalArgs: () => ['--root=/run/berth/runc', '--log-format=json'] };
  const conmon = new Conmon({ conmonPath: '/usr/bin/conmon', runtime, stateDir: '/s', exitDir: '/e', socketDir: '/k', logger: silentLogger() });
  const request = { id: 'c1', bundleDir: '/b/c1', logPath: '/logs/c1.log', terminal: false, stdin: false };

  it('passes the runtime root as a runtime arg, the CRI log and the exit dir', () => {
    const args = conmonCreateArgs(runtime, request, conmon.paths('c1'), '/k', '/e');
    expect(args.join(' ')).toContain('--runtime /usr/sbin/runc --runtime-arg --root=/run/berth/runc --runtime-arg --log-format=json');
    expect(args.join(' ')).toContain('--log-path k8s-file:/logs/c1.log');
    expect(args.join(' ')).toContain('--exit-dir /e');
    expect(args.join(' ')).toContain('--container-pidfile /s/c1/container.pid');
    expect(args).not.toContain('--terminal');
  });

  it('uses the "none" log driver when there is no log path', () => {
    const args = conmonCreateArgs(runtime, { ...request, logPath: '' }, conmon.paths('c1'), '/k', '/e');
    expect(args.join(' ')).toContain('--log-path none');
  });

  it('asks for a terminal and stdin when the container has them', () => {
    const args = conmonCreateArgs(runtime, { ...request, terminal: true, stdin: true }, conmon.paths('c1'), '/k', '/e');
    expect(args).toEqual(expect.arrayContaining(['--terminal', '--stdin']));
  });

  it('keeps per-container files under the state dir, named by the checked id', () => {
    expect(conmon.paths('c1')).toMatchObject({ dir: '/s/c1', exitFile: '/e/c1', socketLink: '/k/c1' });
    expect(() => conmon.paths('../etc')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
