// The CNI shapes berth reads and writes (CNI spec 1.0, with the 0.3.x/0.4.0 result format,
// which 1.0 kept). Plugin configs stay open records: each plugin owns its own fields and berth
// passes them through untouched.

/** One plugin's configuration inside a list: `type` names the binary, the rest is the plugin's. */
export interface PluginConfig {
  type: string;
  capabilities?: Record<string, boolean>;
  [field: string]: unknown;
}

/** A network configuration list: the plugins run in order on ADD and in reverse on DEL. */
export interface NetworkConfigList {
  cniVersion: string;
  name: string;
  disableCheck?: boolean;
  plugins: PluginConfig[];
}

/** A loaded list and the file it came from (for status messages and the cache). */
export interface LoadedNetworkConfig {
  source: string;
  list: NetworkConfigList;
}

export interface CniInterface {
  name: string;
  mac?: string;
  /** The netns path for interfaces inside the container; absent for host-side ones. */
  sandbox?: string;
}

export interface CniIpConfig {
  /** CIDR notation, e.g. 10.85.0.5/16. */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** A plugin's ADD output, and the prevResult handed to the next plugin in the chain. */
export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
  [field: string]: unknown;
}

/** The portMappings capability, in the shape the portmap plugin reads from runtimeConfig. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

/** Who a network operation is for: becomes CNI_CONTAINERID, CNI_NETNS and CNI_ARGS. */
export interface PodNetworkIdentity {
  /** The sandbox id (CNI_CONTAINERID; also K8S_POD_INFRA_CONTAINER_ID). */
  id: string;
  netnsPath: string;
  podName: string;
  namespace: string;
  uid: string;
}

export interface PodNetworkRequest extends PodNetworkIdentity {
  portMappings: PortMapping[];
}

export interface PodNetworkSetUp {
  ips: { v4: string[]; v6: string[] };
  interfaces: CniInterface[];
  result: CniResult;
}

export interface NetworkStatus {
  ready: boolean;
  /** CRI NetworkReady condition reason/message when not ready. */
  reason?: string;
  message?: string;
  /** The config file in use, when one loaded. */
  source?: string;
}
