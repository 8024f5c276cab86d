import { describe, expect, it } from 'vitest';
import { parseJoinConfiguration } from '../../../cli/join-configuration.js';

const hash = `sha256:${'a'.repeat(64)}`;

describe('kubeadm JoinConfiguration for berth join --config', () => {
  it('reads v1beta4: discovery, node registration and timeouts', () => {
    const text = [
      'apiVersion: kubeadm.k8s.io/v1beta4',
      'kind: JoinConfiguration',
      'discovery:',
      '  bootstrapToken:',
      '    apiServerEndpoint: 10.0.0.1:6443',
      '    token: abcdef.0123456789abcdef',
      `    caCertHashes: ["${hash}"]`,
      '  tlsBootstrapToken: abcdef.0123456789abcdef',
      'nodeRegistration:',
      '  name: worker-1',
      '  criSocket: unix:///run/containerd/containerd.sock',
      'timeouts:',
      '  discovery: 1m0s',
      '  tlsBootstrap: 2m0s',
    ].join('\n');
    expect(parseJoinConfiguration(text, 'join.yaml')).toEqual({
      endpoint: '10.0.0.1:6443',
      token: 'abcdef.0123456789abcdef',
      tlsBootstrapToken: 'abcdef.0123456789abcdef',
      discoveryTokenCaCertHash: [hash],
      discoveryTimeout: '1m0s',
      tlsBootstrapTimeout: '2m0s',
      nodeName: 'worker-1',
      criSocket: 'unix:///run/containerd/containerd.sock',
    });
  });

  it('reads v1beta3 discovery.timeout and file discovery, from a multi-document file', () => {
    const text = [
      'apiVersion: kubelet.config.k8s.io/v1beta1',
      'kind: KubeletConfiguration',
      '---',
      'apiVersion: kubeadm.k8s.io/v1beta3',
      'kind: JoinConfiguration',
      'discovery:',
      '  file: { kubeConfigPath: /etc/kubernetes/discovery.conf }',
      '  timeout: 30s',
      '  bootstrapToken: { unsafeSkipCAVerification: true }',
    ].join('\n');
    expect(parseJoinConfiguration(text, 'join.yaml')).toEqual({
      discoveryFile: '/etc/kubernetes/discovery.conf',
      discoveryTimeout: '30s',
      discoveryTokenUnsafeSkipCaVerification: true,
    });
  });

  it.each([
    ['no JoinConfiguration', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\n', /no kind: JoinConfiguration/],
    ['an old apiVersion', 'apiVersion: kubeadm.k8s.io/v1beta2\nkind: JoinConfiguration\n', /apiVersion kubeadm.k8s.io\/v1beta2 is not one of/],
    ['a control-plane join', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ncontrolPlane: {}\n', /worker nodes only/],
    ['hashes that are not a list', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery: { bootstrapToken: { caCertHashes: sha256:abc } }\n', /caCertHashes must be a list/],
    ['a token that is not a string', 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\ndiscovery: { bootstrapToken: { token: 12 } }\n', /token must be a string/],
    ['not YAML', 'kind: [JoinConfiguration\n', /not YAML/],
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseJoinConfiguration(text, 'join.yaml')).toThrow(message);
  });
});
