// One cluster-info ConfigMap as the real stack made it: the fixture's kubeadm (init phase
// bootstrap-token) wrote the kubeconfig, the controller-manager's bootstrapsigner signed it for
// token xjwjng.sd8718mtalpr1tj6, and `kubeadm token create --print-join-command` printed the CA
// hash. Upstream's values, so the unit tests check berth against Go's implementation.
export const token = { id: 'xjwjng', secret: 'sd8718mtalpr1tj6' };

export const caHashKubeadmPrinted = 'sha256:8814f948e947d286dca2c5b769452ff72acfd5bf873df046b44c881d9ca74f5e';

export const signature = 'eyJhbGciOiJIUzI1NiIsImtpZCI6Inhqd2puZyJ9..pDtsJwIBrGJ3EsEic6FT8xp09yTbf-x-2ONE3HmH2ps';

const caData =
  'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURNVENDQWhtZ0F3SUJBZ0lVSzVpaTFLWnhpSGlWVXk0bXVqOEpna0RaNUJZd0RRWUpLb1pJaHZjTkFRRUwKQlFBd0lERWVNQndHQTFVRUF3d1ZZbVZ5ZEdndGRHVnpkQzFqYkhWemRHVnlMV05oTUI0WERUSTJNVEl3TnpFdwpOVGMxT1ZvWERUTTJNVEl3TkRFd05UYzFPVm93SURFZU1Cd0dBMVVFQXd3VlltVnlkR2d0ZEdWemRDMWpiSFZ6CmRHVnlMV05oTUlJQklqQU5CZ2txaGtpRzl3MEJBUUVGQUFPQ0FROEFNSUlCQ2dLQ0FRRUFyRmdzRisyRnJSTXkKai9CWUVWeTZ2NXVSUVJMK3BJRXB4V0haNFdEMVJDMXVUREtMeThSTklzVFRPSmlFTUVFejROTW9md3F0aldYKwpBMi9zL3NVN1dhcWIzSXQwWW1NM1dhdW1XZVZFMUtNTCs2dUpteHJlVytVditEV1FjL2I4b21XZ0hMS0hCYllYClU3NjNWR3pNVGZyZ004Y0RXSVNHVmNRTmxmL3ZpL0tGcnVsWVRjaldleFFGMi9LRDFBc0liSGVnaHBRWUZhOVEKWE8zVWFOdUloMDNZNVpnRUlNQXR6OEJVRU9oQVpYM282ejQvSGN3R1JMNUpVb1ViUUF4OFVSektVNWpWQVNwRQpETTAzTmhSR0g3R2hWdlZjQnU5bE9iVFhtak9ZNDdNUXFlQi9LcFpMUVVTQWFjRUkzeFIwM014bjM1VE5RZmRWCm1OS0orbHlsN1FJREFRQUJvMk13WVRBZEJnTlZIUTRFRmdRVWxNQ2k4a1ptMkIxTEU1UDJNNTg0Z1l3VjZPOHcKSHdZRFZSMGpCQmd3Rm9BVWxNQ2k4a1ptMkIxTEU1UDJNNTg0Z1l3VjZPOHdEd1lEVlIwVEFRSC9CQVV3QXdFQgovekFPQmdOVkhROEJBZjhFQkFNQ0FZWXdEUVlKS29aSWh2Y05BUUVMQlFBRGdnRUJBQ3NIY0prWmNZV0txeTlsCnE4NVBXaTRGVXlrM3Z6YzQwU1p3VXJvbE1qTVpVcUx3dzhYVm14ZHpiblRoUS9vYTVpUVJzQVJOZkc3OCt4bHoKNEYxVlRqS25nTnV4RFBjMndMZUFYVkhiUGlWcCtNcTdNUXFKYWdvTVZjT1RBck5jRENsK1hIcklKemViR1RaRgpndGRQRm13RDNhM3dsUW1aaXMxcVNEZzVNNjJnTnJkalk1MHJnakM5OXJJdVJPK1p0YVc2U3YvY2ZvZ0VQYzNMClhhdVBFWFMxMk5kVDZHYmxha25KOUlsQUhSazJmeU0vQ01QVVlQQ3VDWUVJQ1FPU2NnNWduRFRqaisxSXZYd0sKZmNSSWZrazdVVStiMldORDRGN0R0RnFKOVVrRXV5akxPRkRyTjVGM3hHbFB0OFlKb3dzY1VuZndJREZpYTgwMQpIc1EyZ2p3PQotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==';

export const caPem = Buffer.from(caData, 'base64').toString('utf8');

/** The ConfigMap's `kubeconfig` value, byte for byte. */
export const kubeconfig = [
  'apiVersion: v1',
  'clusters:',
  '- cluster:',
  `    certificate-authority-data: ${caData}`,
  '    server: https://127.0.0.1:42715',
  '  name: ""',
  'contexts: null',
  'current-context: ""',
  'kind: Config',
  'users: null',
  '',
].join('\n');
