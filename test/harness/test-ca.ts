// Certificate authorities and client certificates for tests of TLS callers (the kubelet API),
// minted with openssl (EC P-256 keys: fast). `openssl ca` rather than `x509 -req` because it sets
// any validity window, so an expired certificate is one that was valid once, not one whose dates
// are inverted. An existing CA (the cluster fixture's) issues too: its bookkeeping files go to a
// directory of the test's own, never beside the shared key.
import { execa } from 'execa';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestCa extends KeyPair {
  /** Issues a certificate for `subject` (e.g. "/O=system:masters/CN=admin"). */
  issue(name: string, subject: string, options?: IssueOptions): Promise<KeyPair>;
}

export interface IssueOptions {
  /** openssl extendedKeyUsage value; clientAuth unless told. */
  usage?: 'clientAuth' | 'serverAuth';
  /** Validity window as openssl ca dates (YYYYMMDDHHMMSSZ); one day from now unless told. */
  window?: { start: string; end: string };
}

async function newKey(path: string): Promise<void> {
  await execa('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path]);
}

/** A self-signed CA under `dir/<name>/`. */
export async function createTestCa(dir: string, name: string): Promise<TestCa> {
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  const ca = { cert: join(home, 'ca.crt'), key: join(home, 'ca.key') };
  await newKey(ca.key);
  await execa('openssl', ['req', '-x509', '-new', '-key', ca.key, '-subj', `/CN=${name}`, '-days', '2', '-out', ca.cert]);
  return issuingCa(dir, name, ca);
}

/** `ca` (certificate and key, left untouched) issuing, with its bookkeeping under `dir/<name>/`. */
export function issuingCa(dir: string, name: string, ca: KeyPair): TestCa {
  const home = join(dir, name);
  mkdirSync(join(home, 'issued'), { recursive: true });
  writeFileSync(join(home, 'index.txt'), '');
  writeFileSync(join(home, 'serial'), '1000\n');
  const config = join(home, 'ca.cnf');
  writeFileSync(
    config,
    [
      '[ca]',
      'default_ca = this_ca',
      '[this_ca]',
      `database = ${join(home, 'index.txt')}`,
      `new_certs_dir = ${join(home, 'issued')}`,
      `serial = ${join(home, 'serial')}`,
      'default_md = sha256',
      'policy = any_subject',
      'unique_subject = no',
      'copy_extensions = none',
      '[any_subject]',
      'commonName = supplied',
      'organizationName = optional',
      '',
    ].join('\n'),
  );
  return {
    ...ca,
    issue: async (leaf, subject, options = {}) => {
      const pair = { cert: join(home, `${leaf}.crt`), key: join(home, `${leaf}.key`) };
      const csr = join(home, `${leaf}.csr`);
      const extensions = join(home, `${leaf}.ext`);
      await newKey(pair.key);
      await execa('openssl', ['req', '-new', '-key', pair.key, '-subj', subject, '-out', csr]);
      writeFileSync(extensions, `[leaf]\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = ${options.usage ?? 'clientAuth'}\n`);
      const window = options.window ? ['-startdate', options.window.start, '-enddate', options.window.end] : ['-days', '1'];
      await execa('openssl', [
        'ca',
        '-batch',
        '-notext',
        '-config',
        config,
        '-cert',
        ca.cert,
        '-keyfile',
        ca.key,
        '-extfile',
        extensions,
        '-extensions',
        'leaf',
        ...window,
        '-in',
        csr,
        '-out',
        pair.cert,
      ]);
      return pair;
    },
  };
}
