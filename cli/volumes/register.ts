// `berth volume create/ls/inspect/rm/prune`: docker's volume commands with docker's flags,
// clients of berth.v1.Volumes on the runtime's socket (--runtime-endpoint, or
// CONTAINER_RUNTIME_ENDPOINT as for the container commands). `berth run -v NAME:/path` makes a
// volume on first use through the same API (run-command.ts).
import type { Command } from 'commander';
import { withEndpoint, type ExitCode } from '../containers/register.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

interface Endpoint {
  runtimeEndpoint: string;
}

const commands = () => Promise.all([import('./volumes-api.js'), import('./volume-commands.js')]);

export function addVolumeCommands(program: Command, result: ExitCode): void {
  const volume = program.command('volume').description('manage volumes (docker volume)');

  withEndpoint(volume.command('create').argument('[name]', 'the volume name (default: a random one)'))
    .description('create a volume, or answer the existing one of that name (docker volume create)')
    .option('-d, --driver <driver>', 'volume driver name (only "local")', 'local')
    .option('--label <key=value>', 'set metadata for a volume (repeatable)', collect, [])
    .option('-o, --opt <key=value>', "driver specific options (berth's local driver takes none)", collect, [])
    .action(async (name: string | undefined, flags: Endpoint & { driver: string; label: string[]; opt: string[] }) => {
      const [{ withVolumes }, { createVolume }] = await commands();
      await withVolumes(flags.runtimeEndpoint, (client) => createVolume(client, name, flags, io));
    });

  withEndpoint(volume.command('ls').alias('list'))
    .description('list volumes (docker volume ls)')
    .option('-q, --quiet', 'only display volume names')
    .option('--format <template>', 'format output using a Go-template subset: {{.Name}}, {{.Driver}}, {{.Mountpoint}}, {{.Labels}}, {{json .}}, "table ..."')
    .option('-f, --filter <filter>', 'provide filter values: dangling=true|false, name=NAME, label=KEY[=VALUE], driver=local (repeatable)', collect, [])
    .action(async (flags: Endpoint & { quiet?: boolean; format?: string; filter: string[] }) => {
      const [{ withVolumes }, { listVolumes }] = await commands();
      await withVolumes(flags.runtimeEndpoint, (client) =>
        listVolumes(client, { quiet: flags.quiet ?? false, filter: flags.filter, ...(flags.format !== undefined ? { format: flags.format } : {}) }, io),
      );
    });

  withEndpoint(volume.command('inspect').argument('<volume...>'))
    .description('display detailed information on one or more volumes (docker volume inspect)')
    .option('-f, --format <template>', 'format output using a Go-template subset ({{.Mountpoint}}, {{json .}}, ...)')
    .action(async (names: string[], flags: Endpoint & { format?: string }) => {
      const [{ withVolumes }, { inspectVolumes }] = await commands();
      result.exitCode = await withVolumes(flags.runtimeEndpoint, (client) => inspectVolumes(client, names, flags.format, io));
    });

  withEndpoint(volume.command('rm').alias('remove').argument('<volume...>'))
    .description('remove one or more volumes; a volume a container uses (running or not) cannot be removed (docker volume rm)')
    .option('-f, --force', 'do not fail when a volume does not exist')
    .action(async (names: string[], flags: Endpoint & { force?: boolean }) => {
      const [{ withVolumes }, { removeVolumes }] = await commands();
      result.exitCode = await withVolumes(flags.runtimeEndpoint, (client) => removeVolumes(client, names, flags.force ?? false, io));
    });

  withEndpoint(volume.command('prune'))
    .description('remove unused volumes: anonymous ones, or with -a every volume no container uses (docker volume prune)')
    .option('-a, --all', 'remove all unused volumes, not just anonymous ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (flags: Endpoint & { all?: boolean; force?: boolean }) => {
      const [{ withVolumes }, { pruneVolumes }] = await commands();
      await withVolumes(flags.runtimeEndpoint, (client) => pruneVolumes(client, { all: flags.all ?? false, force: flags.force ?? false }, io));
    });
}
