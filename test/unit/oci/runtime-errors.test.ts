import { describe, expect, it } from 'vitest';
import { runtimeError, runtimeMessage } from '../../../runtime/oci/runtime-errors.js';

function failure(stderr: string) {
  return runtimeError({ runtime: 'runc', operation: 'start', containerId: 'c1', stderr, exitCode: 1 });
}

describe('runtimeMessage', () => {
  it('takes msg from runc JSON log lines and says a repeated message once', () => {
    const stderr = '{"level":"error","msg":"container does not exist","time":"x"}\n{"level":"error","msg":"container does not exist","time":"x"}\n';
    expect(runtimeMessage(stderr)).toBe('container does not exist');
  });

  it('takes msg from logfmt lines, unescaping quotes', () => {
    expect(runtimeMessage('time="2026" level=error msg="bad \\"spec\\""')).toBe('bad "spec"');
  });

  it('keeps plain text as it is', () => {
    expect(runtimeMessage('crun: something broke\n')).toBe('crun: something broke');
  });
});

describe('runtimeError', () => {
  it.each([
    ['container does not exist', 'NOT_FOUND'],
    ['container `c1` does not exist', 'NOT_FOUND'],
    ['container with id exists: c1', 'ALREADY_EXISTS'],
    ['container not running', 'FAILED_PRECONDITION'],
    ['cannot start a container that has stopped', 'FAILED_PRECONDITION'],
    ['cannot start an already running container', 'FAILED_PRECONDITION'],
    ['cannot delete container c1 that is not stopped: running', 'FAILED_PRECONDITION'],
    ['invalid signal: 99', 'INVALID_ARGUMENT'],
    ['exec failed: unable to start container process: exec: "x": executable file not found in $PATH', 'INVALID_ARGUMENT'],
    ['unable to apply cgroup configuration', 'INTERNAL'],
  ])('maps %j to %s', (message, code) => {
    expect(failure(JSON.stringify({ level: 'error', msg: message }))).toMatchObject({ code });
  });

  it('names the runtime, operation and container and quotes the runtime', () => {
    expect(failure('{"level":"error","msg":"container not running"}').message).toBe('runc start of container c1 failed: container not running');
  });

  it('says so when the runtime printed nothing', () => {
    expect(failure('').message).toBe('runc start of container c1 failed: exit code 1 and no message');
  });
});
