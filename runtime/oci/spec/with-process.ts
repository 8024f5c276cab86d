// The process half of the spec: what runs (argv, env, cwd, terminal), as whom, and how much the
// OOM killer should prefer it.
import { InvalidArgumentError } from '../../../common/errors.js';
import { parseCriInt } from './decimal.js';
import { mergeEnv } from './environment.js';
import { resolveArgv } from './process-args.js';
import { resolveUser } from './resolve-user.js';
import type { SpecOption } from './spec-context.js';

export const withProcess: SpecOption = (spec, { input, security }) => {
  const { config, image } = input;
  const run = image.config ?? {};
  spec.process.args = resolveArgv({
    command: config.command,
    args: config.args,
    entrypoint: run.Entrypoint,
    cmd: run.Cmd,
  });
  spec.process.env = mergeEnv({ hostname: input.sandbox.hostname, imageEnv: run.Env, criEnvs: config.envs });
  const cwd = config.workingDir !== '' ? config.workingDir : run.WorkingDir || '/';
  if (!cwd.startsWith('/') || cwd.includes('\0')) {
    throw new InvalidArgumentError(`working directory "${cwd}" must be an absolute path inside the container`);
  }
  spec.process.cwd = cwd;
  if (config.tty) spec.process.terminal = true;
  if (security?.noNewPrivs === true) spec.process.noNewPrivileges = true;
};

export const withUser: SpecOption = (spec, { input, security }) => {
  // The CRI: run_as_group without run_as_user or run_as_username is an error, not the image's user.
  if (security?.runAsGroup && !security.runAsUser && !security.runAsUsername) {
    throw new InvalidArgumentError('run_as_group is set without run_as_user or run_as_username; set one of them too');
  }
  const request = {
    supplementalGroups: security?.supplementalGroups ?? [],
    supplementalGroupsPolicy: security?.supplementalGroupsPolicy ?? 'Merge',
    ...(security?.runAsUser ? { runAsUser: security.runAsUser.value } : {}),
    ...(security?.runAsUsername ? { runAsUsername: security.runAsUsername } : {}),
    ...(security?.runAsGroup ? { runAsGroup: security.runAsGroup.value } : {}),
    ...(input.image.config?.User !== undefined ? { imageUser: input.image.config.User } : {}),
  };
  const user = resolveUser(request, { passwd: input.etcPasswd, group: input.etcGroup });
  spec.process.user = { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids };
};

/**
 * oom_score_adj may not be lowered below the parent's without CAP_SYS_RESOURCE in the init user
 * namespace, and on some hosts not even then: runc create then dies with "can't get final
 * child's PID from pipe". Raise the request to the daemon's own value and say so.
 */
export const withOomScoreAdj: SpecOption = (spec, { input, warnings }) => {
  const resources = input.config.linux?.resources;
  if (!resources) return;
  const requested = parseCriInt(resources.oomScoreAdj, 'oom_score_adj');
  if (requested < -1000 || requested > 1000) {
    throw new InvalidArgumentError(`oom_score_adj ${requested} is out of range: use -1000 to 1000`);
  }
  const floor = input.host.daemonOomScoreAdj;
  if (requested < floor) {
    warnings.push(`oom_score_adj ${requested} raised to ${floor}: a container cannot go below berth's own value on this host`);
  }
  spec.process.oomScoreAdj = Math.max(requested, floor);
};
