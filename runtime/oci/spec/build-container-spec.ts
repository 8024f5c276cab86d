// buildContainerSpec: the OCI config.json for one container, from the CRI request, the image and
// the sandbox, as a pure function of its input. It is the list of spec options below applied in
// order to a bare spec; callers with more to add (GPU/CDI edits) pass their own options, which run
// after berth's and before the final validation.
import { InvalidArgumentError } from '../../../common/errors.js';
import { ociVersion, type Spec } from './runtime-spec.js';
import { createSpecContext, type SpecOption } from './spec-context.js';
import type { ContainerSpecInput } from './spec-input.js';
import { withAnnotations } from './with-annotations.js';
import { withDevices } from './with-devices.js';
import { withMounts } from './with-mounts.js';
import { withNamespaces } from './with-namespaces.js';
import { withOomScoreAdj, withProcess, withUser } from './with-process.js';
import { withResources } from './with-resources.js';
import { withCapabilities, withMaskedPaths, withReadonlyRootfs, withSeccomp, withSysctls } from './with-security.js';
import { validateSpec } from './validate-spec.js';

export interface BuiltSpec {
  spec: Spec;
  /** What berth changed or ignored in the request (e.g. a raised oom_score_adj): log these. */
  warnings: string[];
}

// Order matters where one option reads another's result: the seccomp profile depends on the
// capabilities, and the devices cgroup extends the resources.
export const containerSpecOptions: readonly SpecOption[] = [
  withProcess,
  withUser,
  withOomScoreAdj,
  withNamespaces,
  withMounts,
  withCapabilities,
  withMaskedPaths,
  withReadonlyRootfs,
  withSeccomp,
  withSysctls,
  withResources,
  withDevices,
  withAnnotations,
];

function bareSpec(input: ContainerSpecInput): Spec {
  if (!input.rootfsPath.startsWith('/')) {
    throw new InvalidArgumentError(`container ${input.containerId} rootfs path "${input.rootfsPath}" must be absolute`);
  }
  return {
    ociVersion,
    process: { user: { uid: 0, gid: 0 }, args: [], env: [], cwd: '/' },
    root: { path: input.rootfsPath },
    mounts: [],
    linux: { namespaces: [], cgroupsPath: input.cgroupsPath },
  };
}

export function buildContainerSpec(input: ContainerSpecInput, extraOptions: readonly SpecOption[] = []): BuiltSpec {
  const spec = bareSpec(input);
  const context = createSpecContext(input);
  for (const option of [...containerSpecOptions, ...extraOptions]) option(spec, context);
  validateSpec(spec);
  return { spec, warnings: context.warnings };
}
