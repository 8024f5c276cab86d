// The one adapter over @kubernetes/client-node: every API call the kubelet makes goes through
// here, so the rest sees only the role interfaces of api-port.ts and plain errors.
import {
  ApiException,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CertificatesV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
  type V1CertificateSigningRequest,
  type V1ConfigMap,
  type V1Lease,
  type V1Node,
  type V1NodeStatus,
  type V1Pod,
  type V1PodStatus,
  type V1Secret,
  type V1Service,
} from '@kubernetes/client-node';
import { BerthError, errorMessage, type ErrorCode } from '../common/errors.js';
import type { AccessRequest, BoundTokenRequest, KubeApiPort, PodWatchEvent, UserInfo } from './api-port.js';

const codes: Record<number, ErrorCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'PERMISSION_DENIED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  410: 'FAILED_PRECONDITION',
  422: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
};

/** A failed API call, with the HTTP status kept for callers that branch on it (404, 409). */
export class KubeApiError extends BerthError {
  constructor(
    readonly operation: string,
    readonly httpStatus: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super((httpStatus && codes[httpStatus]) || 'UNAVAILABLE', `${operation}: ${message}`, options);
  }
}

function statusMessage(error: unknown): string {
  if (error instanceof ApiException) {
    const body = error.body as unknown;
    if (typeof body === 'string') {
      try {
        return (JSON.parse(body) as { message?: string }).message ?? body;
      } catch {
        return body;
      }
    }
    if (body && typeof body === 'object' && 'message' in body) return String((body as { message: unknown }).message);
  }
  return errorMessage(error);
}

async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const status = error instanceof ApiException ? error.code : undefined;
    throw new KubeApiError(operation, status, statusMessage(error), { cause: error });
  }
}

const isStatus = (error: unknown, status: number): boolean => error instanceof KubeApiError && error.httpStatus === status;

/** A read that answers undefined for an object that does not exist. */
async function unlessNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (error) {
    if (isStatus(error, 404)) return undefined;
    throw error;
  }
}

export class KubeApi implements KubeApiPort {
  private readonly core: CoreV1Api;
  private readonly coordination: CoordinationV1Api;
  private readonly authentication: AuthenticationV1Api;
  private readonly authorization: AuthorizationV1Api;
  private readonly certificates: CertificatesV1Api;

  constructor(private readonly kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.coordination = kubeConfig.makeApiClient(CoordinationV1Api);
    this.authentication = kubeConfig.makeApiClient(AuthenticationV1Api);
    this.authorization = kubeConfig.makeApiClient(AuthorizationV1Api);
    this.certificates = kubeConfig.makeApiClient(CertificatesV1Api);
  }

  /** A client of `server`, trusting only `caPem`, authenticated with a bearer token (TLS bootstrap). */
  static withToken(server: string, caPem: string, token: string): KubeApi {
    const config = new KubeConfig();
    config.loadFromClusterAndUser({ name: 'cluster', server, caData: Buffer.from(caPem).toString('base64'), skipTLSVerify: false }, { name: 'bootstrap', token });
    return new KubeApi(config);
  }

  static fromFile(path: string): KubeApi {
    const config = new KubeConfig();
    config.loadFromFile(path);
    return new KubeApi(config);
  }

  async registerNode(node: V1Node): Promise<V1Node> {
    const name = node.metadata?.name ?? '';
    try {
      return await call(`create node ${name}`, () => this.core.createNode({ body: node }));
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
      return call(`read node ${name}`, () => this.core.readNode({ name }));
    }
  }

  readNode(name: string): Promise<V1Node> {
    return call(`read node ${name}`, () => this.core.readNode({ name }));
  }

  findNode(name: string): Promise<V1Node | undefined> {
    return unlessNotFound(this.readNode(name));
  }

  createCertificateSigningRequest(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest> {
    return call('create certificatesigningrequest', () => this.certificates.createCertificateSigningRequest({ body: csr }));
  }

  readCertificateSigningRequest(name: string): Promise<V1CertificateSigningRequest> {
    return call(`read certificatesigningrequest ${name}`, () => this.certificates.readCertificateSigningRequest({ name }));
  }

  async patchNodeStatus(name: string, status: V1NodeStatus): Promise<void> {
    await call(`patch node ${name} status`, () => this.core.patchNodeStatus({ name, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)));
  }

  readLease(namespace: string, name: string): Promise<V1Lease | undefined> {
    return unlessNotFound(call(`read lease ${namespace}/${name}`, () => this.coordination.readNamespacedLease({ name, namespace })));
  }

  createLease(lease: V1Lease): Promise<V1Lease> {
    const namespace = lease.metadata?.namespace ?? '';
    return call(`create lease ${namespace}/${lease.metadata?.name ?? ''}`, () => this.coordination.createNamespacedLease({ namespace, body: lease }));
  }

  replaceLease(lease: V1Lease): Promise<V1Lease> {
    const namespace = lease.metadata?.namespace ?? '';
    const name = lease.metadata?.name ?? '';
    return call(`replace lease ${namespace}/${name}`, () => this.coordination.replaceNamespacedLease({ name, namespace, body: lease }));
  }

  async patchPodStatus(namespace: string, name: string, status: V1PodStatus, uid?: string): Promise<void> {
    await call(`patch pod ${namespace}/${name} status`, () =>
      this.core.patchNamespacedPodStatus({ name, namespace, body: uid ? { metadata: { uid }, status } : { status } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch)),
    );
  }

  async deletePod(namespace: string, name: string, options: { uid?: string; gracePeriodSeconds: number }): Promise<void> {
    try {
      await call(`delete pod ${namespace}/${name}`, () =>
        this.core.deleteNamespacedPod({
          name,
          namespace,
          gracePeriodSeconds: options.gracePeriodSeconds,
          body: {
            gracePeriodSeconds: options.gracePeriodSeconds,
            ...(options.uid ? { preconditions: { uid: options.uid } } : {}),
          },
        }),
      );
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  createPod(pod: V1Pod): Promise<V1Pod> {
    const namespace = pod.metadata?.namespace ?? 'default';
    return call(`create pod ${namespace}/${pod.metadata?.name ?? ''}`, () => this.core.createNamespacedPod({ namespace, body: pod }));
  }

  async listPods(fieldSelector: string): Promise<{ pods: V1Pod[]; resourceVersion: string }> {
    const list = await call('list pods', () => this.core.listPodForAllNamespaces({ fieldSelector }));
    return { pods: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  readConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    return unlessNotFound(call(`read configmap ${namespace}/${name}`, () => this.core.readNamespacedConfigMap({ name, namespace })));
  }

  readSecret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return unlessNotFound(call(`read secret ${namespace}/${name}`, () => this.core.readNamespacedSecret({ name, namespace })));
  }

  async createBoundToken(request: BoundTokenRequest): Promise<{ token: string; expiresAtMs: number }> {
    const { namespace, serviceAccount } = request;
    const answer = await call(`create token for serviceaccount ${namespace}/${serviceAccount}`, () =>
      this.core.createNamespacedServiceAccountToken({
        name: serviceAccount,
        namespace,
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            audiences: request.audiences,
            expirationSeconds: request.expirationSeconds,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: request.pod.name, uid: request.pod.uid },
          },
        },
      }),
    );
    const expires = answer.status?.expirationTimestamp;
    return { token: answer.status?.token ?? '', expiresAtMs: expires ? new Date(expires).getTime() : Date.now() + request.expirationSeconds * 1000 };
  }

  async listServices(namespace: string): Promise<V1Service[]> {
    return (await call(`list services in ${namespace}`, () => this.core.listNamespacedService({ namespace }))).items;
  }

  async reviewToken(token: string): Promise<UserInfo | undefined> {
    const review = await call('create tokenreview', () => this.authentication.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } }));
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username) return undefined;
    return { username: user.username, uid: user.uid, groups: user.groups ?? [] };
  }

  async reviewAccess(request: AccessRequest): Promise<{ allowed: boolean; reason: string }> {
    const review = await call('create subjectaccessreview', () =>
      this.authorization.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: request.user.username,
            ...(request.user.uid ? { uid: request.user.uid } : {}),
            groups: request.user.groups,
            resourceAttributes: { verb: request.verb, resource: request.resource, subresource: request.subresource, name: request.name, group: '' },
          },
        },
      }),
    );
    return { allowed: review.status?.allowed === true, reason: review.status?.reason ?? '' };
  }

  async watchPods(fieldSelector: string, resourceVersion: string, onEvent: (event: PodWatchEvent) => void, done: (error: unknown) => void): Promise<() => void> {
    let finished = false;
    const finish = (error: unknown): void => {
      if (finished) return;
      finished = true;
      done(error);
    };
    const controller = await new Watch(this.kubeConfig).watch(
      '/api/v1/pods',
      { fieldSelector, resourceVersion, allowWatchBookmarks: true },
      (type: string, object: unknown) => {
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') onEvent({ type, pod: object as V1Pod });
        else if (type === 'ERROR') {
          // Typically 410 Gone: the resourceVersion is too old; the caller relists.
          controller.abort();
          finish(new KubeApiError('watch pods', (object as { code?: number }).code, statusMessage(object)));
        }
      },
      finish,
    );
    return () => {
      finished = true;
      controller.abort();
    };
  }
}
