// Bootstrap tokens as kubeadm and the API server define them: "<id>.<secret>", a 6-character
// public id (the Secret bootstrap-token-<id>, the cluster-info signature's key id) and a
// 16-character secret, both [a-z0-9].
import { InvalidArgumentError } from '../../common/errors.js';

export interface BootstrapToken {
  id: string;
  secret: string;
}

const tokenPattern = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;

export function parseBootstrapToken(text: string, where = '--token'): BootstrapToken {
  const match = tokenPattern.exec(text);
  if (!match) throw new InvalidArgumentError(`${where}: a bootstrap token is "<6 characters [a-z0-9]>.<16 characters [a-z0-9]>", as \`kubeadm token create\` prints it`);
  return { id: match[1] ?? '', secret: match[2] ?? '' };
}

export const formatBootstrapToken = (token: BootstrapToken): string => `${token.id}.${token.secret}`;
