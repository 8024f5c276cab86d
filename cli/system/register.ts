// docker's system commands on `berth`: info, version, system df, system prune (and system info),
// over the CRI socket and berth's own API on it (--runtime-endpoint, or CONTAINER_RUNTIME_ENDPOINT).
import type { Command } from 'commander';
import { withEndpoint } from '../containers/register.js';

const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

interface Flags {
  runtimeEndpoint: string;
  format?: string;
}

const session = () => import('../containers/cri-session.js');

function addInfo(command: Command): void {
  withEndpoint(command)
    .description("display system-wide information: the runtime's containers, images, drivers and this machine (docker info)")
    .option('-f, --format <template>', "format the output using a Go template, e.g. '{{json .}}' or '{{.CgroupDriver}}'")
    .action(async (flags: Flags) => {
      const [{ withSession }, { showInfo }] = await Promise.all([session(), import('./info-command.js')]);
      await withSession(flags.runtimeEndpoint, (s) => showInfo(s, flags.format, io.stdout));
    });
}

export function addSystemCommands(program: Command): void {
  addInfo(program.command('info'));

  withEndpoint(program.command('version'))
    .description('show the berth version information, client and runtime (docker version)')
    .option('-f, --format <template>', "format the output using a Go template, e.g. '{{.Server.Version}}'")
    .action(async (flags: Flags) => {
      const [{ withSession }, { showVersion }] = await Promise.all([session(), import('./version-command.js')]);
      await withSession(flags.runtimeEndpoint, (s) => showVersion(s, flags.format, io.stdout));
    });

  const system = program.command('system').description('manage berth (docker system)');
  addInfo(system.command('info'));

  withEndpoint(system.command('df'))
    .description('show disk usage of images, containers and volumes (docker system df)')
    .option('--format <template>', "format the output using a Go template, e.g. 'table {{.Type}}\\t{{.Size}}'")
    .action(async (flags: Flags) => {
      const [{ withSession }, { showDiskUsage }] = await Promise.all([session(), import('./disk-usage-command.js')]);
      await withSession(flags.runtimeEndpoint, (s) => showDiskUsage(s, flags.format, io.stdout));
    });

  withEndpoint(system.command('prune'))
    .description("remove the CLI's stopped containers, unused networks and dangling images; with -a every unused image, with --volumes anonymous volumes (docker system prune)")
    .option('-a, --all', 'remove all unused images, not just dangling ones')
    .option('--volumes', 'prune anonymous volumes')
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (flags: Flags & { all?: boolean; volumes?: boolean; force?: boolean }) => {
      const [{ withSession }, { pruneSystem }] = await Promise.all([session(), import('./prune-command.js')]);
      const options = { all: flags.all ?? false, volumes: flags.volumes ?? false, force: flags.force ?? false };
      await withSession(flags.runtimeEndpoint, (s) => pruneSystem(s, options, io));
    });
}
