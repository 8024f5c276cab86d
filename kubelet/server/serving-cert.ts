// The kubelet's serving certificate: the files given by flag, or a self-signed one made once with
// openssl under the kubelet's root dir and reused after (upstream does the same when no
// --tls-cert-file is given). API servers reach the kubelet without checking it unless told to.
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface ServingCert {
  certFile: string;
  keyFile: string;
}

export async function selfSignedServingCert(dir: string, nodeName: string, nodeIp: string): Promise<ServingCert> {
  const certFile = join(dir, 'kubelet.crt');
  const keyFile = join(dir, 'kubelet.key');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const names = [`DNS:${nodeName}`, 'DNS:localhost', 'IP:127.0.0.1', ...(isIP(nodeIp) ? [`IP:${nodeIp}`] : [])];
  const tmpCert = `${certFile}.tmp`;
  const tmpKey = `${keyFile}.tmp`;
  try {
    await execa('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '365',
      '-subj',
      `/CN=${nodeName}@${Math.floor(Date.now() / 1000)}`,
      '-addext',
      `subjectAltName=${[...new Set(names)].join(',')}`,
      '-keyout',
      tmpKey,
      '-out',
      tmpCert,
    ]);
    // The key first: a certificate on disk always has its key beside it.
    await rename(tmpKey, keyFile);
    await rename(tmpCert, certFile);
  } finally {
    await rm(tmpCert, { force: true });
    await rm(tmpKey, { force: true });
  }
  return { certFile, keyFile };
}
