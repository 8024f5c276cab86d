// How berth's CLI names its containers: docker's names live in a label of the container and of
// its pod (the CRI's own names carry the pod's uid and attempt). The CLI sets it at `run`, the
// runtime changes it for `rename`; both need the same key and the same rule for a valid name.

/** Marks the pods and containers the CLI made; its value is the container's name. */
export const cliNameLabel = 'berth.dev/cli-name';

/** docker's rule for container names. */
export const validCliName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
