// `berth compose`: docker compose v2's commands and flags on berth. The project options come
// before the command (`berth compose -f a.yml -f b.yml -p demo up -d`), as docker's; each command
// loads the project, then works through the same functions as berth's docker commands, over the
// runtime's socket (--runtime-endpoint or CONTAINER_RUNTIME_ENDPOINT).
import { type Command, Option } from 'commander';
import { InvalidArgumentError } from '../../common/errors.js';
import { withSession } from '../containers/cri-session.js';
import { type ExitCode, withEndpoint } from '../containers/register.js';
import type { ProjectFlags } from './load-project.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const io = { stdout: process.stdout, stderr: process.stderr };

interface GlobalFlags extends ProjectFlags {
  runtimeEndpoint: string;
}

function wholeNumber(flag: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${flag} "${value}" must be a whole number`);
    return Number(value);
  };
}

async function project(command: Command) {
  const flags = command.optsWithGlobals<GlobalFlags>();
  const { loadProject } = await import('./load-project.js');
  const loaded = loadProject(flags, { cwd: process.cwd(), environment: process.env, warn: (message) => io.stderr.write(`WARN ${message}\n`) });
  return { project: loaded, endpoint: flags.runtimeEndpoint };
}

export function addComposeCommands(program: Command, result: ExitCode): void {
  const compose = withEndpoint(program.command('compose').description('define and run multi-container applications (docker compose)'))
    .option('-f, --file <file>', 'compose configuration file (repeatable; merged in order)', collect, [])
    .option('-p, --project-name <name>', 'project name (default: the project directory name)')
    .option('--project-directory <dir>', 'the project directory (default: the directory of the first compose file)')
    .option('--env-file <file>', 'an environment file instead of <project directory>/.env (repeatable)', collect, [])
    // `exec SERVICE sh -c ...`: what follows the service belongs to the command.
    .enablePositionalOptions();

  compose
    .command('up')
    .argument('[service...]')
    .description("create and start the services' containers (and their dependencies), networks and volumes")
    .option('-d, --detach', 'run in the background')
    .option('--build', 'build images before starting')
    .option('--no-build', "don't build an image, even if it is missing")
    .option('--force-recreate', "recreate containers even if their configuration hasn't changed")
    .option('--remove-orphans', 'remove containers of services not in the compose file')
    .addOption(new Option('--log-root <dir>', "where the pods' log directories go").default('/var/log/berth').hideHelp())
    .action(async (services: string[], flags: { detach?: boolean; build?: boolean; forceRecreate?: boolean; removeOrphans?: boolean; logRoot: string }, command: Command) => {
      const { project: loaded, endpoint } = await project(command);
      const { composeUp } = await import('./compose-up.js');
      const { selectedServices } = await import('./project-containers.js');
      // commander's --no-build turns `build` false; --build alone makes it true; neither leaves it undefined.
      const build = command.getOptionValueSource('build') === 'cli' ? flags.build === true : false;
      const noBuild = flags.build === false;
      await withSession(endpoint, (session) =>
        composeUp(
          session,
          loaded,
          {
            services: services.length > 0 ? selectedServices(loaded, services) : [],
            detach: flags.detach ?? false,
            build,
            noBuild,
            forceRecreate: flags.forceRecreate ?? false,
            removeOrphans: flags.removeOrphans ?? false,
            logRoot: flags.logRoot,
          },
          io,
        ),
      );
    });

  compose
    .command('ps')
    .argument('[service...]')
    .description("list the project's containers (running ones; -a for all)")
    .option('-a, --all', 'show all stopped containers too')
    .option('-q, --quiet', 'only display IDs')
    .action(async (services: string[], flags: { all?: boolean; quiet?: boolean }, command: Command) => {
      const { project: loaded, endpoint } = await project(command);
      const { composePs } = await import('./compose-commands.js');
      await withSession(endpoint, (session) => composePs(session, loaded, { all: flags.all ?? false, quiet: flags.quiet ?? false, services }, io.stdout));
    });

  compose
    .command('logs')
    .argument('[service...]')
    .description("show the containers' output, each line after its container's name")
    .option('-f, --follow', 'follow log output')
    .option('-t, --timestamps', 'show timestamps')
    .option('-n, --tail <lines>', 'number of lines to show from the end of the logs for each container', wholeNumber('--tail'))
    .action(async (services: string[], flags: { follow?: boolean; timestamps?: boolean; tail?: number }, command: Command) => {
      const { project: loaded, endpoint } = await project(command);
      const { showProjectLogs } = await import('./compose-logs.js');
      const { containersOf, projectContainers, selectedServices } = await import('./project-containers.js');
      await withSession(endpoint, async (session) => {
        const containers = containersOf(await projectContainers(session, loaded.name), selectedServices(loaded, services));
        const options = { follow: flags.follow ?? false, timestamps: flags.timestamps ?? false, ...(flags.tail !== undefined ? { tail: flags.tail } : {}) };
        await showProjectLogs(session, containers, options, io.stdout);
      });
    });

  for (const [name, description] of [
    ['stop', 'stop the services (dependents first)'],
    ['start', 'start the services that have stopped (dependencies first)'],
    ['restart', 'restart the services'],
  ] as const) {
    const sub = compose.command(name).argument('[service...]').description(description);
    if (name !== 'start') sub.option('-t, --timeout <seconds>', 'seconds to wait before killing (default: stop_grace_period, or 10)', wholeNumber('--timeout'));
    sub.action(async (services: string[], flags: { timeout?: number }, command: Command) => {
      const { project: loaded, endpoint } = await project(command);
      const lifecycle = await import('./compose-lifecycle.js');
      const { containersOf, projectContainers, selectedServices } = await import('./project-containers.js');
      const { startOrder } = await import('./dependency-order.js');
      const { dependencyGraph } = await import('./normalize-project.js');
      const chosen = new Set(selectedServices(loaded, services));
      const order = startOrder(dependencyGraph(loaded.services)).filter((service) => chosen.has(service));
      const timeout = (container: { service: string }) => flags.timeout ?? loaded.services[container.service]?.stopTimeoutSeconds ?? 10;
      await withSession(endpoint, async (session) => {
        const all = await projectContainers(session, loaded.name);
        if (name === 'stop') await lifecycle.stopProjectContainers(session, containersOf(all, order.reverse()), { remove: false, timeoutSeconds: timeout }, io);
        else if (name === 'start') await lifecycle.startProjectContainers(session, containersOf(all, order), io);
        else await lifecycle.restartProjectContainers(session, containersOf(all, order), timeout, io);
      });
    });
  }

  compose
    .command('down')
    .description("stop and remove the project's containers and networks (and with -v its volumes)")
    .option('-v, --volumes', 'remove the named volumes declared in the volumes: section and the anonymous volumes of the containers')
    .addOption(new Option('--rmi <type>', 'remove images used by services: "local" (those without a custom tag) or "all"').choices(['local', 'all']))
    .option('--remove-orphans', 'remove containers of services not in the compose file')
    .action(async (flags: { volumes?: boolean; rmi?: 'local' | 'all'; removeOrphans?: boolean }, command: Command) => {
      const { project: loaded, endpoint } = await project(command);
      const { composeDown } = await import('./compose-commands.js');
      const options = { volumes: flags.volumes ?? false, removeOrphans: flags.removeOrphans ?? false, ...(flags.rmi ? { rmi: flags.rmi } : {}) };
      await withSession(endpoint, (session) => composeDown(session, loaded, options, io));
    });

  compose
    .command('build')
    .argument('[service...]')
    .description('build the services that have a build: section, with berth build')
    .action(async (services: string[], _flags: unknown, command: Command) => {
      const { project: loaded, endpoint } = await project(command);
      const { buildService } = await import('./compose-build.js');
      const { selectedServices } = await import('./project-containers.js');
      for (const name of selectedServices(loaded, services)) {
        const service = loaded.services[name];
        if (service?.build) await buildService(endpoint, service, io);
      }
    });

  compose
    .command('pull')
    .argument('[service...]')
    .description("pull the services' images")
    .action(async (services: string[], _flags: unknown, command: Command) => {
      const { project: loaded, endpoint } = await project(command);
      const { composePull } = await import('./compose-commands.js');
      const { selectedServices } = await import('./project-containers.js');
      await withSession(endpoint, (session) => composePull(session, loaded, selectedServices(loaded, services), io));
    });

  compose
    .command('exec')
    .argument('<service>')
    .argument('<command...>')
    .description("run a command in a service's running container")
    .option('-T, --no-TTY', 'disable pseudo-TTY allocation (by default a TTY is given when this terminal has one)')
    .passThroughOptions()
    .action(async (service: string, commandLine: string[], flags: { TTY: boolean }, command: Command) => {
      const { project: loaded, endpoint } = await project(command);
      const { composeExec } = await import('./compose-commands.js');
      result.exitCode = await withSession(endpoint, (session) => composeExec(session, loaded, service, commandLine, { noTty: !flags.TTY }, io));
    });

  compose
    .command('config')
    .description('print the project as resolved (interpolated, merged, normalized) as YAML')
    .action(async (_flags: unknown, command: Command) => {
      const { project: loaded } = await project(command);
      const { configYaml } = await import('./compose-config.js');
      io.stdout.write(configYaml(loaded));
    });
}
