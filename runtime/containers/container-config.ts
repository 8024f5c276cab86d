// What CreateContainer refuses before it does anything: a config without a name or image, a
// name that would escape a path, and a log path outside the pod's log directory.
import { isAbsolute, normalize } from 'node:path';
import type { ContainerConfig__Output } from '../../api/cri/messages.js';
import { InvalidArgumentError } from '../../common/errors.js';
import type { SandboxRecord } from '../sandbox/sandbox-record.js';

export function validContainerConfig(config: ContainerConfig__Output | null, sandbox: SandboxRecord): ContainerConfig__Output {
  if (!config) throw new InvalidArgumentError('CreateContainer needs a config');
  const name = config.metadata?.name;
  if (!name) throw new InvalidArgumentError('container metadata needs a name');
  if (name.length > 253 || /[\s/\\_]|\.\./.test(name)) {
    throw new InvalidArgumentError(`container name ${JSON.stringify(name)} may not contain "/", "_", "..", or whitespace`);
  }
  if (!config.image?.image) throw new InvalidArgumentError(`container ${name} needs an image`);
  if (config.logPath) {
    if (!sandbox.config.logDirectory) {
      throw new InvalidArgumentError(`container ${name} has log path ${config.logPath} but its pod sandbox has no log directory`);
    }
    if (isAbsolute(config.logPath) || normalize(config.logPath).startsWith('..')) {
      throw new InvalidArgumentError(`container log path ${JSON.stringify(config.logPath)} must be relative to the pod's log directory and stay inside it`);
    }
  }
  return config;
}
