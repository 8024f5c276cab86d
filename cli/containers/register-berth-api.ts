// docker's container commands that need berth.v1.Containers (the CRI does not cover them): kill,
// rename, diff, export, cp and attach (its signal proxy), with docker's flags. They work against berth only.
import type { Command } from 'commander';
import { withEndpoint, type ExitCode } from './register.js';

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

interface Endpoint {
  runtimeEndpoint: string;
}

const api = () => import('./berth-api.js');

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addBerthApiContainerCommands(program: Command, result: ExitCode): void {
  withEndpoint(
    program
      .command('commit')
      .argument('<container>')
      .argument('[repository]', 'REPOSITORY[:TAG] to name the image')
      .description("create a new image from a container's changes: its writable layer as one more layer on its image (docker commit)"),
  )
    .option('-a, --author <author>', 'author (e.g., "John Hannibal Smith <hannibal@a-team.com>")')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL; repeatable)', collect, [])
    .option('-m, --message <message>', 'commit message')
    .action(async (container: string, repository: string | undefined, flags: Endpoint & { author?: string; change: string[]; message?: string }) => {
      const [{ withSession }, { commitContainer }] = await Promise.all([import('./cri-session.js'), import('./commit-command.js')]);
      await withSession(flags.runtimeEndpoint, (session) => commitContainer(session, container, repository, flags, io.stdout));
    });

  withEndpoint(program.command('kill').argument('<container...>').description('kill one or more running containers (docker kill)'))
    .option('-s, --signal <signal>', 'signal to send to the container (a name like KILL or SIGHUP, or a number)', 'KILL')
    .action(async (containers: string[], flags: Endpoint & { signal: string }) => {
      const [{ withContainersApi }, { killContainers }] = await Promise.all([api(), import('./kill-rename-commands.js')]);
      result.exitCode = await withContainersApi(flags.runtimeEndpoint, (session) => killContainers(session, containers, flags.signal, io));
    });

  withEndpoint(program.command('attach').argument('<container>').description("attach this terminal's input and output to a running container (docker attach)"))
    .option('--no-stdin', 'do not attach STDIN')
    .option('--sig-proxy <bool>', 'proxy the signals this process receives to the container (true or false)', 'true')
    .action(async (container: string, flags: Endpoint & { stdin: boolean; sigProxy: string }) => {
      const [{ withContainersApi }, { attachContainer }] = await Promise.all([api(), import('./attach-command.js')]);
      const options = { noStdin: !flags.stdin, sigProxy: !/^(false|0)$/i.test(flags.sigProxy) };
      result.exitCode = await withContainersApi(flags.runtimeEndpoint, (session) => attachContainer(session, container, options, io));
    });

  withEndpoint(program.command('rename').argument('<container>').argument('<new-name>').description('rename a container (docker rename)')).action(
    async (container: string, name: string, flags: Endpoint) => {
      const [{ withContainersApi }, { renameContainer }] = await Promise.all([api(), import('./kill-rename-commands.js')]);
      await withContainersApi(flags.runtimeEndpoint, (session) => renameContainer(session, container, name));
    },
  );

  withEndpoint(program.command('diff').argument('<container>').description("inspect changes to files or directories on a container's filesystem (docker diff)")).action(
    async (container: string, flags: Endpoint) => {
      const [{ withContainersApi }, { showChanges }] = await Promise.all([api(), import('./files-commands.js')]);
      await withContainersApi(flags.runtimeEndpoint, (session) => showChanges(session, container, io.stdout));
    },
  );

  withEndpoint(program.command('export').argument('<container>').description("export a container's filesystem as a tar archive (docker export)"))
    .option('-o, --output <file>', 'write to a file, instead of STDOUT')
    .action(async (container: string, flags: Endpoint & { output?: string }) => {
      const [{ withContainersApi }, { exportContainer }] = await Promise.all([api(), import('./files-commands.js')]);
      await withContainersApi(flags.runtimeEndpoint, (session) => exportContainer(session, container, flags.output, io.stdout));
    });

  withEndpoint(
    program
      .command('cp')
      .argument('<source>', 'CONTAINER:SRC_PATH, a local SRC_PATH, or - for a tar archive on stdin')
      .argument('<destination>', 'a local DEST_PATH, - for a tar archive on stdout, or CONTAINER:DEST_PATH')
      .description('copy files/folders between a container and the local filesystem (docker cp); paths in the container are resolved inside its root, never following its symlinks out of it'),
  )
    .option('-a, --archive', 'archive mode (copy all uid/gid information)')
    .option('-L, --follow-link', 'always follow symbol link in SRC_PATH')
    .option('-q, --quiet', 'suppress progress output during copy (berth prints none)')
    .action(async (source: string, destination: string, flags: Endpoint & { archive?: boolean; followLink?: boolean }) => {
      const [{ withContainersApi }, { copy }] = await Promise.all([api(), import('./copy-command.js')]);
      await withContainersApi(flags.runtimeEndpoint, (session) => copy(session, source, destination, { archive: flags.archive ?? false, followLink: flags.followLink ?? false }, io));
    });
}
