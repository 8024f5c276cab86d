// docker's container commands that need berth.v1.Containers (the CRI does not cover them): kill,
// rename, diff, export and cp, with docker's flags. They work against berth only.
import type { Command } from 'commander';
import { withEndpoint, type ExitCode } from './register.js';

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

interface Endpoint {
  runtimeEndpoint: string;
}

const api = () => import('./berth-api.js');

export function addBerthApiContainerCommands(program: Command, result: ExitCode): void {
  withEndpoint(program.command('kill').argument('<container...>').description('kill one or more running containers (docker kill)'))
    .option('-s, --signal <signal>', 'signal to send to the container (a name like KILL or SIGHUP, or a number)', 'KILL')
    .action(async (containers: string[], flags: Endpoint & { signal: string }) => {
      const [{ withContainersApi }, { killContainers }] = await Promise.all([api(), import('./kill-rename-commands.js')]);
      result.exitCode = await withContainersApi(flags.runtimeEndpoint, (session) => killContainers(session, containers, flags.signal, io));
    });

  withEndpoint(program.command('rename').argument('<container>').argument('<new-name>').description('rename a container (docker rename)')).action(
    async (container: string, name: string, flags: Endpoint) => {
      const [{ withContainersApi }, { renameContainer }] = await Promise.all([api(), import('./kill-rename-commands.js')]);
      await withContainersApi(flags.runtimeEndpoint, (session) => renameContainer(session, container, name));
    },
  );
}
