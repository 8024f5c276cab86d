// The slices of the Kubernetes API each kubelet part uses, as narrow role interfaces: node status
// and lease take only what they write, so unit tests pass recorders and kube-api.ts is the one
// adapter over @kubernetes/client-node.
import type { V1ConfigMap, V1Lease, V1Node, V1NodeStatus, V1Pod, V1PodStatus, V1Secret, V1Service } from '@kubernetes/client-node';

export interface NodeApi {
  /** Creates the Node, or returns the one that already exists under its name. */
  registerNode(node: V1Node): Promise<V1Node>;
  patchNodeStatus(name: string, status: V1NodeStatus): Promise<void>;
  /** The Node as the API has it now (its taints change under kubectl taint). */
  readNode(name: string): Promise<V1Node>;
}

export interface LeaseApi {
  /** undefined when there is no such lease. */
  readLease(namespace: string, name: string): Promise<V1Lease | undefined>;
  createLease(lease: V1Lease): Promise<V1Lease>;
  /** Fails with a conflict when the lease changed since it was read (resourceVersion). */
  replaceLease(lease: V1Lease): Promise<V1Lease>;
}

export interface PodWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  pod: V1Pod;
}

export interface PodApi {
  /** With `uid`, the write fails unless the pod under that name still has that uid. */
  patchPodStatus(namespace: string, name: string, status: V1PodStatus, uid?: string): Promise<void>;
  /** Deleting a pod that is already gone succeeds. */
  deletePod(namespace: string, name: string, options: { uid?: string; gracePeriodSeconds: number }): Promise<void>;
  createPod(pod: V1Pod): Promise<V1Pod>;
  listPods(fieldSelector: string): Promise<{ pods: V1Pod[]; resourceVersion: string }>;
  /** Starts a watch; `done` is called once when it ends for any reason. Returns a stop function. */
  watchPods(fieldSelector: string, resourceVersion: string, onEvent: (event: PodWatchEvent) => void, done: (error: unknown) => void): Promise<() => void>;
}

/** A service account token bound to one pod (TokenRequest API). */
export interface BoundTokenRequest {
  namespace: string;
  serviceAccount: string;
  /** Empty: the API server's own audiences. */
  audiences: string[];
  expirationSeconds: number;
  pod: { name: string; uid: string };
}

/** What a pod's volumes and env refer to: the node may read only those of pods bound to it. */
export interface PodInputsApi {
  /** undefined when there is no such object. */
  readConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined>;
  /** undefined when there is no such object. */
  readSecret(namespace: string, name: string): Promise<V1Secret | undefined>;
  createBoundToken(request: BoundTokenRequest): Promise<{ token: string; expiresAtMs: number }>;
  listServices(namespace: string): Promise<V1Service[]>;
}

export interface UserInfo {
  username: string;
  uid?: string | undefined;
  groups: string[];
}

export interface AccessRequest {
  user: UserInfo;
  verb: string;
  resource: string;
  subresource: string;
  name: string;
}

/** Delegated authentication and authorization for the kubelet API (TokenReview, SubjectAccessReview). */
export interface ReviewApi {
  /** undefined when the API does not accept the token. */
  reviewToken(token: string): Promise<UserInfo | undefined>;
  reviewAccess(request: AccessRequest): Promise<{ allowed: boolean; reason: string }>;
}

export type KubeApiPort = NodeApi & LeaseApi & PodApi & PodInputsApi & ReviewApi;
