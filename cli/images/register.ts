// docker's image commands on `berth`, with docker's flags: tag, rmi, history, save, load, import,
// push, login, logout and `image prune`. They reach berth.v1.Images on the runtime's socket
// (--runtime-endpoint, or CONTAINER_RUNTIME_ENDPOINT as for the container commands).
import type { Command } from 'commander';
import { withEndpoint, type ExitCode } from '../containers/register.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

interface Endpoint {
  runtimeEndpoint: string;
}

const commands = () => import('./image-commands.js');

/**
 * Adds the commands; tag, rmi, history, save, load and push are also `berth image tag/rm/...`
 * as docker's management commands (`berth image import` stays the offline layout import).
 */
export function addImageCommands(program: Command, image: Command, result: ExitCode): void {
  addSharedCommands(program, 'rmi', result);
  addSharedCommands(image, 'rm', result);
  addTopLevelCommands(program);
  addPrune(image);
}

function addSharedCommands(parent: Command, removeName: 'rmi' | 'rm', result: ExitCode): void {
  withEndpoint(parent.command('tag').argument('<source>', 'SOURCE_IMAGE[:TAG]').argument('<target>', 'TARGET_IMAGE[:TAG]'))
    .description('create a tag TARGET_IMAGE that refers to SOURCE_IMAGE (docker tag)')
    .action(async (source: string, target: string, flags: Endpoint) => {
      const { withImages, tagImage } = await commands();
      await withImages(flags.runtimeEndpoint, (client) => tagImage(client, source, target));
    });

  withEndpoint(parent.command(removeName).argument('<image...>'))
    .description('remove images: untag a name, delete the image once no name is left (docker rmi)')
    .option('-f, --force', 'remove an image a stopped container uses, or an id with several tags')
    .action(async (images: string[], flags: Endpoint & { force?: boolean }) => {
      const { withImages, removeImages } = await commands();
      result.exitCode = await withImages(flags.runtimeEndpoint, (client) => removeImages(client, images, flags.force ?? false, io));
    });

  withEndpoint(parent.command('history').argument('<image>'))
    .description('show the history of an image (docker history)')
    .option('--no-trunc', "don't truncate output")
    .option('-q, --quiet', 'only show image IDs')
    .action(async (imageName: string, flags: Endpoint & { trunc: boolean; quiet?: boolean }) => {
      const { withImages, showHistory } = await commands();
      await withImages(flags.runtimeEndpoint, (client) => showHistory(client, imageName, { noTrunc: !flags.trunc, quiet: flags.quiet ?? false }, io));
    });

  withEndpoint(parent.command('save').argument('<image...>'))
    .description('save images to a tar archive, docker-archive and OCI layout in one (streamed to STDOUT by default) (docker save)')
    .option('-o, --output <file>', 'write to a file, instead of STDOUT')
    .action(async (images: string[], flags: Endpoint & { output?: string }) => {
      const { withImages, saveImages } = await commands();
      await withImages(flags.runtimeEndpoint, (client) => saveImages(client, images, flags.output, io));
    });

  withEndpoint(parent.command('load'))
    .description('load images from a tar archive (docker-archive or OCI archive) or STDIN (docker load)')
    .option('-i, --input <file>', 'read from tar archive file, instead of STDIN')
    .option('-q, --quiet', 'suppress the load output')
    .action(async (flags: Endpoint & { input?: string; quiet?: boolean }) => {
      const { withImages, loadImages } = await commands();
      await withImages(flags.runtimeEndpoint, (client) => loadImages(client, flags.input, io));
    });

  withEndpoint(parent.command('push').argument('<name>', 'NAME[:TAG]'))
    .description('upload an image to a registry, with the credentials of berth login (docker push)')
    .action(async (name: string, flags: Endpoint) => {
      const { withImages, pushImage } = await commands();
      await withImages(flags.runtimeEndpoint, (client) => pushImage(client, name, io));
    });
}

function addTopLevelCommands(program: Command): void {
  withEndpoint(program.command('import').argument('<file>', 'a tarball of a root filesystem (plain or gzip), or - for STDIN').argument('[reference]', 'REPOSITORY[:TAG]'))
    .description('import the contents from a tarball to create a filesystem image (docker import)')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL; repeatable)', collect, [])
    .option('-m, --message <message>', 'set commit message for imported image')
    .action(async (file: string, reference: string | undefined, flags: Endpoint & { change: string[]; message?: string }) => {
      const { withImages, importTarball } = await commands();
      const options = { changes: flags.change, ...(flags.message !== undefined && { message: flags.message }) };
      await withImages(flags.runtimeEndpoint, (client) => importTarball(client, file, reference, options, io));
    });

  withEndpoint(program.command('login').argument('[server]', 'registry (default: Docker Hub)'))
    .description('log in to a registry: check the credentials, store them in ~/.docker/config.json (docker login)')
    .option('-u, --username <username>', 'username')
    .option('-p, --password <password>', 'password')
    .option('--password-stdin', 'take the password from stdin')
    .action(async (server: string | undefined, flags: Endpoint & { username?: string; password?: string; passwordStdin?: boolean }) => {
      const { withImages, login } = await commands();
      const options = {
        ...(flags.username !== undefined && { username: flags.username }),
        ...(flags.password !== undefined && { password: flags.password }),
        passwordStdin: flags.passwordStdin ?? false,
      };
      await withImages(flags.runtimeEndpoint, (client) => login(client, server, options, io));
    });

  program
    .command('logout')
    .argument('[server]', 'registry (default: Docker Hub)')
    .description('log out from a registry: remove its credentials from ~/.docker/config.json (docker logout)')
    .action(async (server: string | undefined) => {
      const { logout } = await commands();
      await logout(server, io);
    });
}

function addPrune(image: Command): void {
  withEndpoint(image.command('prune'))
    .description('remove unused images: dangling ones, or with -a every image no container uses (docker image prune)')
    .option('-a, --all', 'remove all unused images, not just dangling ones')
    .option('-f, --force', 'do not prompt for confirmation')
    .action(async (flags: Endpoint & { all?: boolean; force?: boolean }) => {
      const { withImages, pruneImages } = await commands();
      await withImages(flags.runtimeEndpoint, (client) => pruneImages(client, { all: flags.all ?? false, force: flags.force ?? false }, io));
    });
}
