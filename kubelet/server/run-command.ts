// /run/{namespace}/{pod}[/{uid}]/{container}?cmd=...: upstream's older "run a command and give me
// its output" endpoint (POST; the command is one `cmd` value split at spaces, as upstream splits
// it). The command runs to completion through CRI ExecSync in the running container; the answer
// is its stdout then its stderr. A non-zero exit is a 500 with that output, as upstream answers.
import { InternalError, InvalidArgumentError } from '../../common/errors.js';
import type { CriPort } from '../cri-port.js';
import { checkedName, pathSegments } from './path-names.js';
import type { PodRef } from './stream-requests.js';
import { runningContainer } from './stream-targets.js';

export interface RunRequest extends PodRef {
  container: string;
  command: string[];
}

/** Pure: the /run request a URL names. */
export function parseRunRequest(url: URL): RunRequest {
  const parts = pathSegments(url.pathname);
  if (parts.length !== 4 && parts.length !== 5) throw new InvalidArgumentError('run takes /run/{namespace}/{pod}[/{uid}]/{container}?cmd=...');
  const command = (url.searchParams.get('cmd') ?? '').split(' ').filter((word) => word !== '');
  if (command.length === 0) throw new InvalidArgumentError('run needs a command: cmd=<program and arguments separated by spaces>');
  return {
    namespace: checkedName('namespace', parts[1] ?? ''),
    pod: checkedName('pod', parts[2] ?? ''),
    uid: parts.length === 5 ? checkedName('uid', parts[3] ?? '') : undefined,
    container: checkedName('container', parts[parts.length - 1] ?? ''),
    command,
  };
}

/** Runs the command; its output, stdout then stderr. */
export async function runInContainer(cri: Pick<CriPort, 'listContainers' | 'execSync'>, request: RunRequest): Promise<Buffer> {
  const containerId = await runningContainer(cri, request, request.container);
  const result = await cri.execSync(containerId, request.command, 0);
  const output = Buffer.concat([result.stdout, result.stderr]);
  if (result.exitCode !== 0) throw new InternalError(`command ${JSON.stringify(request.command)} exited with ${result.exitCode}: ${output.toString('utf8')}`);
  return output;
}
