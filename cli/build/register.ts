// `berth build` on the command line, with docker's flags (compose runs it as a child process with
// -t/-f/--build-arg/--target and the context). It reaches the runtime's CRI, berth.v1.Images and
// berth.v1.Containers on one socket (--runtime-endpoint or CONTAINER_RUNTIME_ENDPOINT).
import type { Command } from 'commander';
import { withEndpoint, type ExitCode } from '../containers/register.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addBuildCommand(program: Command, result: ExitCode): void {
  withEndpoint(program.command('build').argument('<path>', 'the build context: a directory, or - for a tar (or a lone Dockerfile) on stdin'))
    .description("build an image from a Dockerfile on berth's runtime (docker build)")
    .option('-t, --tag <name>', 'name and optionally a tag (name:tag); repeatable', collect, [])
    .option('-f, --file <path>', 'the Dockerfile (default: PATH/Dockerfile; - for stdin)')
    .option('--build-arg <name=value>', 'set a build-time variable; repeatable', collect, [])
    .option('--target <stage>', 'build this stage (and what it needs) and stop')
    .option('--no-cache', 'do not use the build cache')
    .option('--progress <type>', 'progress output: plain, tty or auto (berth prints plain lines for all three)', 'auto')
    .option('-q, --quiet', 'print only the image id when done')
    .option('--label <key=value>', 'set metadata on the image; repeatable', collect, [])
    .option('--log-root <dir>', "where the build steps' pod log directories go", '/var/log/berth')
    .action(
      async (
        path: string,
        flags: { runtimeEndpoint: string; tag: string[]; file?: string; buildArg: string[]; target?: string; cache: boolean; progress: string; quiet?: boolean; label: string[]; logRoot: string },
      ) => {
        const { buildCommand } = await import('./build-command.js');
        result.exitCode = await buildCommand(
          flags.runtimeEndpoint,
          path,
          {
            tag: flags.tag,
            ...(flags.file !== undefined ? { file: flags.file } : {}),
            buildArg: flags.buildArg,
            ...(flags.target !== undefined ? { target: flags.target } : {}),
            noCache: !flags.cache,
            progress: flags.progress,
            quiet: flags.quiet ?? false,
            label: flags.label,
            logRoot: flags.logRoot,
          },
          { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
        );
      },
    );
}
