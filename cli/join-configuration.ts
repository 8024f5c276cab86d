// kubeadm's JoinConfiguration (kubeadm.k8s.io/v1beta3 and v1beta4) as `berth join --config`
// reads it: the discovery settings, the node's name and CRI socket, the timeouts. controlPlane is
// refused (berth joins workers); nodeRegistration's taints and kubeletExtraArgs, patches and
// skipPhases are not read (berth node's own flags say those things). A flag given on the
// command line wins over the file. Pure: the caller reads the file.
import { loadAllYaml } from '@kubernetes/client-node';
import { InvalidArgumentError } from '../common/errors.js';

export interface JoinSettings {
  endpoint?: string;
  token?: string;
  tlsBootstrapToken?: string;
  discoveryTokenCaCertHash?: string[];
  discoveryTokenUnsafeSkipCaVerification?: boolean;
  discoveryFile?: string;
  discoveryTimeout?: string;
  tlsBootstrapTimeout?: string;
  nodeName?: string;
  criSocket?: string;
}

const apiVersions = new Set(['kubeadm.k8s.io/v1beta3', 'kubeadm.k8s.io/v1beta4']);

type Doc = Record<string, unknown>;
const object = (value: unknown, where: string): Doc => {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError(`${where} must be a mapping`);
  return value as Doc;
};
const text = (value: unknown, where: string): string | undefined => {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidArgumentError(`${where} must be a string`);
  return value;
};

export function parseJoinConfiguration(source: string, where: string): JoinSettings {
  let docs: unknown[];
  try {
    docs = loadAllYaml(source) as unknown[];
  } catch (error) {
    throw new InvalidArgumentError(`${where}: not YAML: ${(error as Error).message}`);
  }
  const join = docs.map((doc) => object(doc, where)).find((doc) => doc['kind'] === 'JoinConfiguration');
  if (!join) throw new InvalidArgumentError(`${where}: no kind: JoinConfiguration document (kubeadm config print join-defaults shows one)`);
  if (!apiVersions.has(String(join['apiVersion']))) {
    throw new InvalidArgumentError(`${where}: apiVersion ${String(join['apiVersion'])} is not one of ${[...apiVersions].join(', ')}`);
  }
  if (join['controlPlane'] !== undefined) throw new InvalidArgumentError(`${where}: controlPlane: berth joins worker nodes only`);
  const discovery = object(join['discovery'], `${where}: discovery`);
  const bootstrapToken = object(discovery['bootstrapToken'], `${where}: discovery.bootstrapToken`);
  const file = object(discovery['file'], `${where}: discovery.file`);
  const node = object(join['nodeRegistration'], `${where}: nodeRegistration`);
  const timeouts = object(join['timeouts'], `${where}: timeouts`);
  const hashes = bootstrapToken['caCertHashes'];
  if (hashes !== undefined && (!Array.isArray(hashes) || hashes.some((hash) => typeof hash !== 'string'))) {
    throw new InvalidArgumentError(`${where}: discovery.bootstrapToken.caCertHashes must be a list of sha256:<hex> strings`);
  }
  const skip = bootstrapToken['unsafeSkipCAVerification'];
  if (skip !== undefined && typeof skip !== 'boolean') throw new InvalidArgumentError(`${where}: discovery.bootstrapToken.unsafeSkipCAVerification must be true or false`);
  const settings: { [K in keyof JoinSettings]-?: JoinSettings[K] | undefined } = {
    endpoint: text(bootstrapToken['apiServerEndpoint'], `${where}: discovery.bootstrapToken.apiServerEndpoint`),
    token: text(bootstrapToken['token'], `${where}: discovery.bootstrapToken.token`),
    tlsBootstrapToken: text(discovery['tlsBootstrapToken'], `${where}: discovery.tlsBootstrapToken`),
    discoveryTokenCaCertHash: hashes as string[] | undefined,
    discoveryTokenUnsafeSkipCaVerification: skip,
    discoveryFile: text(file['kubeConfigPath'], `${where}: discovery.file.kubeConfigPath`),
    // v1beta4 moved discovery.timeout to timeouts.discovery.
    discoveryTimeout: text(timeouts['discovery'], `${where}: timeouts.discovery`) ?? text(discovery['timeout'], `${where}: discovery.timeout`),
    tlsBootstrapTimeout: text(timeouts['tlsBootstrap'], `${where}: timeouts.tlsBootstrap`),
    nodeName: text(node['name'], `${where}: nodeRegistration.name`),
    criSocket: text(node['criSocket'], `${where}: nodeRegistration.criSocket`),
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined)) as JoinSettings;
}
