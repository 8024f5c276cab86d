// The docker-style commands on `berth`: run, ps, logs, exec, stop, rm, inspect, pull, images,
// wait, start, restart, top, stats, port and container prune, with
// docker's flag names. They reach the runtime through its CRI socket (--runtime-endpoint, or
// CONTAINER_RUNTIME_ENDPOINT as for crictl), so they work against `berth runtime`, `berth node`
// or containerd alike.
import { type Command, Option } from 'commander';
import { InvalidArgumentError } from '../../common/errors.js';
import { defaultEndpoint, withSession } from './cri-session.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const io = { stdout: process.stdout, stderr: process.stderr };

function nonNegative(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} "${value}" must be a whole number`);
    return Number(value);
  };
}

/** Adds --runtime-endpoint (CONTAINER_RUNTIME_ENDPOINT, as for crictl) to `command`. */
export function withEndpoint(command: Command): Command {
  return command.option('--runtime-endpoint <endpoint>', 'CRI socket of the runtime (env CONTAINER_RUNTIME_ENDPOINT)', process.env['CONTAINER_RUNTIME_ENDPOINT'] || defaultEndpoint);
}

export interface ExitCode {
  exitCode: number;
}

export function addContainerCommands(program: Command, result: ExitCode): void {
  withEndpoint(
    program
      .command('run')
      .argument('<image>')
      .argument('[command...]')
      .description('run a command in a new container (docker run)')
      // -h is docker's --hostname here.
      .helpOption('--help')
      .passThroughOptions(),
  )
    .option('-d, --detach', 'run in the background and print the container ID')
    .option('--rm', 'remove the container (and its pod) when it exits')
    .option('--name <name>', 'the container name (default: <image>-<random>)')
    .option('-e, --env <NAME[=VALUE]>', 'set a variable; NAME alone passes it from this shell (repeatable)', collect, [])
    .option(
      '-v, --volume <HOST-PATH|NAME:CONTAINER[:ro]>',
      'bind-mount a host path, or mount the named volume (made on first use); CONTAINER alone mounts an anonymous volume (repeatable)',
      collect,
      [],
    )
    .option('-l, --label <key=value>', 'label the container (repeatable)', collect, [])
    .option('-p, --publish <[ip:]host-port:container-port[/proto]>', "forward a host port to the container's (repeatable)", collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:gid]>', 'user (name or uid) and group id to run as')
    .option('--entrypoint <path>', "replace the image's entrypoint")
    .option('-h, --hostname <name>', 'container host name (default: the container name)')
    .option('--network <network>', 'bridge (the CNI network, the default), host, none (loopback only), or a network of berth network create')
    .option('--gpus <request>', 'GPUs to add: all, a count, "device=0,2", capabilities=... (docker\'s syntax)')
    .option('-m, --memory <bytes>', 'memory limit, e.g. 512m')
    .option('--cpus <n>', 'CPU limit, e.g. 1.5')
    .option('--privileged', 'give the container every device and capability')
    .option('--read-only', "mount the container's root read-only")
    .addOption(new Option('--pull <when>', 'pull the image: missing, always or never').choices(['missing', 'always', 'never']).default('missing'))
    .option('--log-root <dir>', "where the pods' log directories go", '/var/log/berth')
    .option('-i, --interactive', "send this terminal's input to the container")
    .option('-t, --tty', 'give the container a terminal')
    .action(async (image: string, command: string[], flags: Record<string, unknown> & { runtimeEndpoint: string }) => {
      const { runContainer } = await import('./run-command.js');
      result.exitCode = await withSession(flags.runtimeEndpoint, (session) => runContainer(session, image, command, flags as unknown as Parameters<typeof runContainer>[3], io));
    });

  withEndpoint(program.command('ps').description('list containers (running ones; -a for all)'))
    .option('-a, --all', 'show every container, exited ones too')
    .option('-q, --quiet', 'print IDs only')
    .option('--no-trunc', 'print whole IDs and commands')
    .option('-f, --filter <key=value>', 'filter by status=created|running|exited, name=, label=KEY[=VALUE], id=, ancestor=IMAGE (repeatable)', collect, [])
    .option('-n, --last <n>', 'show the n last created containers (every state)', nonNegative('--last'))
    .option('-l, --latest', 'show the latest created container (every state)')
    .option('--format <template>', "format the output using a Go template, e.g. 'table {{.ID}}\\t{{.Status}}' or '{{json .}}'")
    .action(async (flags: { all?: boolean; quiet?: boolean; trunc: boolean; filter: string[]; last?: number; latest?: boolean; format?: string; runtimeEndpoint: string }) => {
      const [{ listContainers }, { parsePsFilters }] = await Promise.all([import('./container-commands.js'), import('./ps-selection.js')]);
      const options = {
        all: flags.all ?? false,
        quiet: flags.quiet ?? false,
        noTrunc: !flags.trunc,
        filters: parsePsFilters(flags.filter),
        last: flags.last,
        latest: flags.latest ?? false,
        format: flags.format,
      };
      await withSession(flags.runtimeEndpoint, (session) => listContainers(session, options, io.stdout));
    });

  withEndpoint(program.command('logs').argument('<container>').description("print a container's output"))
    .option('-f, --follow', 'keep printing while the container runs')
    .option('-t, --timestamps', 'start each line with its time')
    .option('-n, --tail <lines>', 'only the last lines', nonNegative('--tail'))
    .action(async (container: string, flags: { follow?: boolean; timestamps?: boolean; tail?: number; runtimeEndpoint: string }) => {
      const { showLogs } = await import('./container-commands.js');
      await withSession(flags.runtimeEndpoint, (session) =>
        showLogs(session, container, { follow: flags.follow ?? false, timestamps: flags.timestamps ?? false, ...(flags.tail !== undefined ? { tail: flags.tail } : {}) }, io),
      );
    });

  withEndpoint(program.command('exec').argument('<container>').argument('<command...>').description('run a command in a running container').passThroughOptions())
    .option('-i, --interactive', "send this terminal's input to the command")
    .option('-t, --tty', 'give the command a terminal')
    .option('--timeout <seconds>', 'run without streaming (ExecSync) and stop the command after this long', nonNegative('--timeout'), 0)
    .action(async (container: string, command: string[], flags: { timeout: number; interactive?: boolean; tty?: boolean; runtimeEndpoint: string }) => {
      const { execInContainer } = await import('./container-commands.js');
      const execFlags = { timeoutSeconds: flags.timeout, interactive: flags.interactive ?? false, tty: flags.tty ?? false };
      result.exitCode = await withSession(flags.runtimeEndpoint, (session) => execInContainer(session, container, command, execFlags, io));
    });

  withEndpoint(program.command('stop').argument('<container...>').description('stop running containers (TERM, then KILL after the timeout)'))
    .option('-t, --time <seconds>', 'seconds to wait before killing', nonNegative('--time'), 10)
    .action(async (containers: string[], flags: { time: number; runtimeEndpoint: string }) => {
      const { stopContainers } = await import('./container-commands.js');
      await withSession(flags.runtimeEndpoint, (session) => stopContainers(session, containers, flags.time, io.stdout));
    });

  withEndpoint(program.command('rm').argument('<container...>').description('remove containers (and the pods berth run made for them)'))
    .option('-f, --force', 'stop running ones first')
    .action(async (containers: string[], flags: { force?: boolean; runtimeEndpoint: string }) => {
      const { removeContainers } = await import('./container-commands.js');
      await withSession(flags.runtimeEndpoint, (session) => removeContainers(session, containers, flags.force ?? false, io.stdout));
    });

  withEndpoint(program.command('inspect').argument('<container...>').description("print the runtime's record of containers as JSON")).action(
    async (containers: string[], flags: { runtimeEndpoint: string }) => {
      const { inspectContainers } = await import('./container-commands.js');
      await withSession(flags.runtimeEndpoint, (session) => inspectContainers(session, containers, io.stdout));
    },
  );

  withEndpoint(program.command('pull').argument('<image>').description("pull an image into the runtime's store")).action(async (image: string, flags: { runtimeEndpoint: string }) => {
    const { pullImage } = await import('./container-commands.js');
    await withSession(flags.runtimeEndpoint, (session) => pullImage(session, image, io));
  });

  withEndpoint(program.command('images').description("list the runtime's images")).action(async (flags: { runtimeEndpoint: string }) => {
    const { listImages } = await import('./container-commands.js');
    await withSession(flags.runtimeEndpoint, (session) => listImages(session, io.stdout));
  });

  withEndpoint(program.command('wait').argument('<container...>').description('block until containers stop, then print their exit codes')).action(
    async (containers: string[], flags: { runtimeEndpoint: string }) => {
      const { waitContainers } = await import('./lifecycle-commands.js');
      await withSession(flags.runtimeEndpoint, (session) => waitContainers(session, containers, io.stdout));
    },
  );

  withEndpoint(
    program.command('start').argument('<container...>').description('start created containers; an exited one is made again from its recorded config (the CRI starts a container once)'),
  ).action(async (containers: string[], flags: { runtimeEndpoint: string }) => {
    const { startContainers } = await import('./lifecycle-commands.js');
    await withSession(flags.runtimeEndpoint, (session) => startContainers(session, containers, io.stdout));
  });

  withEndpoint(program.command('restart').argument('<container...>').description('stop containers and run each again: a new container from the same config, the old one removed'))
    .option('-t, --time <seconds>', 'seconds to wait before killing', nonNegative('--time'), 10)
    .action(async (containers: string[], flags: { time: number; runtimeEndpoint: string }) => {
      const { restartContainers } = await import('./lifecycle-commands.js');
      await withSession(flags.runtimeEndpoint, (session) => restartContainers(session, containers, flags.time, io.stdout));
    });

  withEndpoint(
    program
      .command('top')
      .argument('<container>')
      .argument('[ps-options...]', 'options for ps (default -ef)')
      .description("list a container's processes: ps runs inside the container (the CRI gives no host view), or /proc is read there without ps")
      .passThroughOptions(),
  ).action(async (container: string, psOptions: string[], flags: { runtimeEndpoint: string }) => {
    const { topContainer } = await import('./report-commands.js');
    await withSession(flags.runtimeEndpoint, (session) => topContainer(session, container, psOptions, io.stdout));
  });

  withEndpoint(program.command('stats').argument('[container...]').description("show containers' CPU and memory use (the CRI reports no network, block I/O or pids: --)"))
    .option('-a, --all', 'show every container (running ones by default)')
    .option('--no-stream', 'print once instead of every second')
    .option('--no-trunc', 'print whole IDs')
    .action(async (containers: string[], flags: { all?: boolean; stream: boolean; trunc: boolean; runtimeEndpoint: string }) => {
      const { showStats } = await import('./report-commands.js');
      await withSession(flags.runtimeEndpoint, (session) => showStats(session, containers, { all: flags.all ?? false, noStream: !flags.stream, noTrunc: !flags.trunc }, io.stdout));
    });

  withEndpoint(program.command('port').argument('<container>').argument('[private-port]', 'PRIVATE_PORT[/PROTO]').description("list a container's published ports (its pod's port mappings)")).action(
    async (container: string, privatePort: string | undefined, flags: { runtimeEndpoint: string }) => {
      const { showPorts } = await import('./report-commands.js');
      await withSession(flags.runtimeEndpoint, (session) => showPorts(session, container, privatePort, io.stdout));
    },
  );

  const containerCommand = program.command('container').description('manage containers');
  withEndpoint(containerCommand.command('prune').description("remove the CLI's stopped containers and their pods"))
    .option('-f, --force', 'do not ask for confirmation')
    .action(async (flags: { force?: boolean; runtimeEndpoint: string }) => {
      const { pruneContainers, pruneWarning } = await import('./lifecycle-commands.js');
      if (!flags.force) {
        const { confirmPrune } = await import('../prompt.js');
        await confirmPrune({ stdin: process.stdin, stdout: io.stdout }, pruneWarning, 'container prune');
      }
      await withSession(flags.runtimeEndpoint, (session) => pruneContainers(session, io.stdout));
    });
}
