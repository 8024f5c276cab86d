// Which seccomp filter a container gets. The structured `seccomp` field wins over the deprecated
// `seccomp_profile_path` string; neither means unconfined (the kubelet sends RuntimeDefault when
// the pod or the node's SeccompDefault asks for it). Privileged containers are unconfined, as
// with every trusted runtime: they hold every capability a filter could guard.
import type { LinuxContainerSecurityContext__Output } from '../../../api/cri/messages.js';
import { InvalidArgumentError } from '../../../common/errors.js';
import type { LinuxSeccomp } from './runtime-spec.js';
import { defaultSeccompProfile } from './seccomp-default.js';
import type { SpecContext } from './spec-context.js';

type Choice = { kind: 'runtime-default' } | { kind: 'unconfined' } | { kind: 'localhost'; ref: string };

function chosenProfile(security: LinuxContainerSecurityContext__Output | null | undefined): Choice {
  const structured = security?.seccomp;
  if (structured) {
    switch (structured.profileType) {
      case 'RuntimeDefault':
        return { kind: 'runtime-default' };
      case 'Unconfined':
        return { kind: 'unconfined' };
      case 'Localhost':
        return { kind: 'localhost', ref: structured.localhostRef };
    }
  }
  const path = security?.seccompProfilePath ?? '';
  if (path === '' || path === 'unconfined') return { kind: 'unconfined' };
  if (path === 'runtime/default' || path === 'docker/default') return { kind: 'runtime-default' };
  if (path.startsWith('localhost/')) return { kind: 'localhost', ref: path.slice('localhost/'.length) };
  throw new InvalidArgumentError(`seccomp profile path "${path}" is not understood: use runtime/default, unconfined or localhost/<path>`);
}

/** The filter for the container, or undefined for none; `capabilities` are its effective set. */
export function seccompFor(context: SpecContext, capabilities: readonly string[]): LinuxSeccomp | undefined {
  if (context.privileged) return undefined;
  const choice = chosenProfile(context.security);
  const { input } = context;
  switch (choice.kind) {
    case 'unconfined':
      return undefined;
    case 'runtime-default':
      return input.runtimeDefaultSeccomp ?? defaultSeccompProfile({ capabilities, architecture: input.host.architecture });
    case 'localhost':
      if (input.localhostSeccomp === undefined) {
        throw new InvalidArgumentError(`seccomp profile localhost/${choice.ref} was not loaded; it must exist on the node and be valid JSON`);
      }
      return input.localhostSeccomp;
  }
}

/**
 * The Localhost profile reference a container asks for, if any, so the caller can read and parse
 * that file and pass it as `localhostSeccomp` (the builder itself reads nothing).
 */
export function localhostSeccompRef(security: LinuxContainerSecurityContext__Output | null | undefined): string | undefined {
  if (security?.privileged) return undefined;
  const choice = chosenProfile(security);
  return choice.kind === 'localhost' ? choice.ref : undefined;
}
