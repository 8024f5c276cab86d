// The argv a container runs, by Kubernetes' rules for command/args over the image's
// Entrypoint/Cmd: a command replaces the Entrypoint and also drops the Cmd (the Cmd's arguments
// were written for the Entrypoint, not for the new command); args alone replace only the Cmd.
import { InvalidArgumentError } from '../../../common/errors.js';

export interface ArgvSources {
  command: readonly string[];
  args: readonly string[];
  entrypoint: readonly string[] | null | undefined;
  cmd: readonly string[] | null | undefined;
}

export function resolveArgv(sources: ArgvSources): string[] {
  const { command, args } = sources;
  const argv = command.length > 0 ? [...command, ...args] : [...(sources.entrypoint ?? []), ...(args.length > 0 ? args : (sources.cmd ?? []))];
  if (argv.length === 0 || argv[0] === '') {
    throw new InvalidArgumentError('no command to run: the container config has no command and the image has neither Entrypoint nor Cmd');
  }
  return argv;
}
