// Annotations on the OCI spec: the CRI container's own, then the io.kubernetes.cri.* keys that
// hooks and tools (NRI plugins, nvidia-container-runtime, crictl inspect) read, with the names
// containerd uses. berth's keys are written last so a pod cannot forge them.
import type { SpecOption } from './spec-context.js';

export const criAnnotations = {
  containerType: 'io.kubernetes.cri.container-type',
  sandboxId: 'io.kubernetes.cri.sandbox-id',
  sandboxName: 'io.kubernetes.cri.sandbox-name',
  sandboxNamespace: 'io.kubernetes.cri.sandbox-namespace',
  sandboxUid: 'io.kubernetes.cri.sandbox-uid',
  containerName: 'io.kubernetes.cri.container-name',
  imageName: 'io.kubernetes.cri.image-name',
} as const;

export const withAnnotations: SpecOption = (spec, { input }) => {
  const pod = input.sandbox.config.metadata;
  spec.annotations = {
    ...input.config.annotations,
    [criAnnotations.containerType]: 'container',
    [criAnnotations.sandboxId]: input.sandbox.id,
    [criAnnotations.sandboxName]: pod?.name ?? '',
    [criAnnotations.sandboxNamespace]: pod?.namespace ?? '',
    [criAnnotations.sandboxUid]: pod?.uid ?? '',
    [criAnnotations.containerName]: input.config.metadata?.name ?? '',
    [criAnnotations.imageName]: input.imageName,
  };
};
