import { describe, expect, it } from 'vitest';
import { parseAttachReady } from '../../../runtime/oci/conmon-sync.js';
import { conmonExecArgs } from '../../../runtime/oci/exec-terminal.js';

describe('exec with a terminal under conmon', () => {
  it('asks conmon for an exec session that waits for berth to attach, with a pty, in its own directory', () => {
    const args = conmonExecArgs(
      { runtime: { name: 'runc', path: '/usr/sbin/runc', globalArgs: () => ['--root=/run/berth/runc'] }, socketDir: '/run/berth/sockets' },
      { id: 'exec-a1', dir: '/run/berth/exec/tty-a1', containerId: 'c1', stdin: true },
    );
    const value = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
    expect(value('--cid')).toBe('c1');
    expect(value('--cuuid')).toBe('exec-a1');
    expect(value('--bundle')).toBe('/run/berth/exec/tty-a1');
    expect(value('--exit-dir')).toBe('/run/berth/exec/tty-a1/exit');
    expect(value('--exec-process-spec')).toBe('/run/berth/exec/tty-a1/process.json');
    expect(value('--runtime-arg')).toBe('--root=/run/berth/runc');
    expect(args).toEqual(expect.arrayContaining(['--terminal', '--stdin', '--exec', '--exec-attach']));
    expect(conmonExecArgs({ runtime: { name: 'runc', path: '/r', globalArgs: () => [] }, socketDir: '/s' }, { id: 'e', dir: '/d', containerId: 'c', stdin: false })).not.toContain('--stdin');
  });

  it("reads conmon's attach pipe: ready, or why not", () => {
    expect(parseAttachReady('{"data": 0}')).toEqual({ ready: true });
    expect(parseAttachReady('{"data": -1, "message": "bind: address in use"}')).toEqual({ ready: false, message: 'bind: address in use' });
    expect(parseAttachReady('garbage')).toEqual({ ready: false, message: 'conmon wrote garbage' });
  });
});
