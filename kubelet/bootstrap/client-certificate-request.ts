// TLS bootstrap's second half, also the whole of a rotation: post a CertificateSigningRequest for
// kubernetes.io/kube-apiserver-client-kubelet and wait until the controller-manager's approver
// approves it and its signer issues the certificate. The serving certificate (serverTLSBootstrap)
// goes the same way to kubernetes.io/kubelet-serving, which nothing in the cluster approves by
// itself: an administrator does (kubectl certificate approve), or an approver they run. The
// certificate that comes back is checked against what was asked for: our key, our subject, the
// cluster's CA, and for serving the node's addresses.
import type { V1CertificateSigningRequest } from '@kubernetes/client-node';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeadlineExceededError, FailedPreconditionError, PermissionDeniedError } from '../../common/errors.js';
import { splitPemCertificates } from './ca-pin.js';
import { buildNodeCsr, generateClientKey, kubeletClientSigner, kubeletClientUsages, kubeletServingSigner, kubeletServingUsages, nodeSubject, type SubjectAltNames } from './client-csr.js';

/** The two calls this needs; KubeApi has them. */
export interface CsrApi {
  createCertificateSigningRequest(csr: V1CertificateSigningRequest): Promise<V1CertificateSigningRequest>;
  readCertificateSigningRequest(name: string): Promise<V1CertificateSigningRequest>;
}

export interface IssuedClientCertificate {
  csrName: string;
  /** The issued certificate (chain) as PEM. */
  certPem: string;
  keyPem: string;
  notAfterMs: number;
}

export interface CertificateRequestOptions {
  nodeName: string;
  /** The cluster CA the certificate must chain to. */
  caPem: string;
  timeoutMs: number;
  pollMs?: number;
  log?: (message: string) => void;
  /** Ends the wait (the kubelet stops): the request is left to the cluster. */
  signal?: AbortSignal;
}

/** For the serving certificate: the names it must carry. */
export interface ServingCertificateRequestOptions extends CertificateRequestOptions {
  altNames: SubjectAltNames;
}

function checkIssued(certPem: string, keyPem: string, options: CertificateRequestOptions & { altNames?: SubjectAltNames | undefined }, csrName: string): X509Certificate {
  const [leafPem] = splitPemCertificates(certPem);
  if (!leafPem) throw new FailedPreconditionError(`certificatesigningrequest ${csrName}: its certificate is not PEM`);
  const leaf = new X509Certificate(leafPem);
  const { commonName, organization } = nodeSubject(options.nodeName);
  if (!leaf.subject.split('\n').includes(`CN=${commonName}`) || !leaf.subject.split('\n').includes(`O=${organization}`)) {
    throw new FailedPreconditionError(`certificatesigningrequest ${csrName}: issued for ${leaf.subject.replace(/\n/g, ', ')}, not CN=${commonName}, O=${organization}`);
  }
  if (!leaf.checkPrivateKey(createPrivateKey(keyPem))) throw new FailedPreconditionError(`certificatesigningrequest ${csrName}: the certificate is not for the key it was asked for`);
  const signedByCluster = splitPemCertificates(options.caPem).some((ca) => leaf.verify(new X509Certificate(ca).publicKey));
  if (!signedByCluster) throw new FailedPreconditionError(`certificatesigningrequest ${csrName}: the certificate is not signed by the cluster CA`);
  const { altNames } = options;
  const missing = [...(altNames?.ips.filter((ip) => leaf.checkIP(ip) === undefined) ?? []), ...(altNames?.dnsNames.filter((dns) => leaf.checkHost(dns) === undefined) ?? [])];
  if (missing.length > 0) throw new FailedPreconditionError(`certificatesigningrequest ${csrName}: the certificate does not name ${missing.join(', ')}`);
  return leaf;
}

export function requestNodeClientCertificate(api: CsrApi, options: CertificateRequestOptions): Promise<IssuedClientCertificate> {
  return requestNodeCertificate(api, options, { signerName: kubeletClientSigner, usages: kubeletClientUsages, generateName: 'node-csr-' });
}

export function requestNodeServingCertificate(api: CsrApi, options: ServingCertificateRequestOptions): Promise<IssuedClientCertificate> {
  return requestNodeCertificate(api, options, { signerName: kubeletServingSigner, usages: kubeletServingUsages, generateName: 'csr-' });
}

async function requestNodeCertificate(
  api: CsrApi,
  options: CertificateRequestOptions & { altNames?: SubjectAltNames | undefined },
  kind: { signerName: string; usages: string[]; generateName: string },
): Promise<IssuedClientCertificate> {
  const key = generateClientKey();
  const created = await api.createCertificateSigningRequest({
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { generateName: kind.generateName },
    spec: {
      request: Buffer.from(buildNodeCsr(options.nodeName, key.key, options.altNames)).toString('base64'),
      signerName: kind.signerName,
      usages: kind.usages,
    },
  });
  const name = created.metadata?.name ?? '';
  options.log?.(`certificatesigningrequest ${name} (${kind.signerName}) posted for system:node:${options.nodeName}; waiting for approval and issuance`);
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const csr = await api.readCertificateSigningRequest(name);
    const refused = csr.status?.conditions?.find((condition) => condition.type === 'Denied' || condition.type === 'Failed');
    if (refused) {
      throw new PermissionDeniedError(`certificatesigningrequest ${name} was ${refused.type.toLowerCase()}: ${refused.reason ?? ''} ${refused.message ?? ''}`.trim());
    }
    if (csr.status?.certificate) {
      const certPem = Buffer.from(csr.status.certificate, 'base64').toString('utf8');
      const leaf = checkIssued(certPem, key.pem, options, name);
      return { csrName: name, certPem, keyPem: key.pem, notAfterMs: Date.parse(leaf.validTo) };
    }
    if (Date.now() >= deadline) {
      const approved = csr.status?.conditions?.some((condition) => condition.type === 'Approved');
      throw new DeadlineExceededError(
        approved
          ? `certificatesigningrequest ${name} was approved but not issued within ${Math.round(options.timeoutMs / 1000)} s: does the controller-manager sign (--cluster-signing-cert-file)?`
          : kind.signerName === kubeletServingSigner
            ? `certificatesigningrequest ${name} was not approved within ${Math.round(options.timeoutMs / 1000)} s: the cluster approves no kubelet-serving CSR by itself; approve it with \`kubectl certificate approve ${name}\``
            : `certificatesigningrequest ${name} was not approved within ${Math.round(options.timeoutMs / 1000)} s: approve it with \`kubectl certificate approve ${name}\`, or let kubeadm's auto-approval RBAC (kubeadm init phase bootstrap-token) do it`,
      );
    }
    await sleep(options.pollMs ?? 500, undefined, options.signal ? { signal: options.signal } : {});
  }
}
