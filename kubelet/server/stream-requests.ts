// What an exec, attach or port-forward request on the kubelet API asks for, read the way the
// upstream kubelet reads the API server's URLs: /exec|attach/{namespace}/{pod}[/{uid}]/{container}
// and /portForward/{namespace}/{pod}[/{uid}], with the streams as query flags ("1" or "true")
// and the command as repeated `command` parameters. Pure: the CRI lookups live in stream-targets.ts.
import { InvalidArgumentError } from '../../common/errors.js';
import { checkedName, pathSegments, shown } from './path-names.js';

export interface PodRef {
  namespace: string;
  pod: string;
  /** Present when the caller pinned the pod instance; a pod recreated under the same name is then refused. */
  uid: string | undefined;
}

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export type StreamRequest =
  | ({ kind: 'exec'; container: string; command: string[] } & PodRef & StreamOptions)
  | ({ kind: 'attach'; container: string } & PodRef & StreamOptions)
  | ({ kind: 'portForward'; ports: number[] } & PodRef);

export const streamingPaths: ReadonlySet<string> = new Set(['exec', 'attach', 'portForward']);

const flag = (query: URLSearchParams, name: string): boolean => {
  const value = query.get(name);
  return value === '1' || value === 'true';
};

function streamOptions(query: URLSearchParams): StreamOptions {
  const tty = flag(query, 'tty');
  const options = { stdin: flag(query, 'input'), stdout: flag(query, 'output'), stderr: flag(query, 'error'), tty };
  // A terminal merges stderr into stdout; upstream drops the flag rather than failing the call.
  if (tty) options.stderr = false;
  if (!options.stdin && !options.stdout && !options.stderr) {
    throw new InvalidArgumentError('ask for at least one of the input, output and error streams');
  }
  return options;
}

function ports(query: URLSearchParams): number[] {
  return query
    .getAll('port')
    .flatMap((value) => value.split(','))
    .map((text) => {
      const port = Number(text);
      if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new InvalidArgumentError(`port ${shown(text)} is not a port number`);
      return port;
    });
}

/** Reads a streaming request from its URL; undefined when the path is not a streaming one. */
export function parseStreamRequest(url: URL): StreamRequest | undefined {
  const parts = pathSegments(url.pathname);
  const [kind, rawNamespace = '', rawPod = ''] = parts;
  if (!kind || !streamingPaths.has(kind)) return undefined;
  if (!rawNamespace || !rawPod) throw new InvalidArgumentError(`${kind} takes /${kind}/{namespace}/{pod}${kind === 'portForward' ? '' : '/{container}'}`);
  const namespace = checkedName('namespace', rawNamespace);
  const pod = checkedName('pod', rawPod);
  const query = url.searchParams;
  if (kind === 'portForward') {
    if (parts.length > 4) throw new InvalidArgumentError('portForward takes /portForward/{namespace}/{pod}[/{uid}]');
    return { kind, namespace, pod, uid: parts[3] === undefined ? undefined : checkedName('uid', parts[3]), ports: ports(query) };
  }
  if (parts.length !== 4 && parts.length !== 5) throw new InvalidArgumentError(`${kind} takes /${kind}/{namespace}/{pod}[/{uid}]/{container}`);
  const uid = parts.length === 5 ? checkedName('uid', parts[3] ?? '') : undefined;
  const container = checkedName('container', parts[parts.length - 1] ?? '');
  if (kind === 'attach') return { kind, namespace, pod, uid, container, ...streamOptions(query) };
  const command = query.getAll('command');
  if (command.length === 0) throw new InvalidArgumentError('exec needs a command (one `command` parameter per argument)');
  return { kind: 'exec', namespace, pod, uid, container, command, ...streamOptions(query) };
}
