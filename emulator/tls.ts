/**
 * A local certificate authority for the emulator's HTTPS endpoints. The core-rest-pipeline bearer-token
 * policy refuses plain http, so the emulator must speak TLS; clients trust this CA through
 * NODE_EXTRA_CA_CERTS (read by Node at start), never through a code path production lacks.
 * Keys come from Node's crypto (fast); node-forge only assembles and signs the X.509 certificates.
 */
import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

export interface LocalCa {
  caCertPem: string;
  caKeyPem: string;
  /** Path of the CA certificate file (give it to NODE_EXTRA_CA_CERTS). */
  caFile: string;
}

export interface ServerCert {
  certPem: string;
  keyPem: string;
}

interface KeyPair {
  publicKey: forge.pki.PublicKey;
  privateKey: forge.pki.PrivateKey;
  privateKeyPem: string;
}

const RSA_OPTIONS = {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
} as const;

function rsaKeyPair(): KeyPair {
  return forgeKeys(generateKeyPairSync('rsa', RSA_OPTIONS));
}

/** Off the main thread (libuv's pool): the emulator makes its server keys while its clusters start. */
async function rsaKeyPairAsync(): Promise<KeyPair> {
  return forgeKeys(await promisify(generateKeyPair)('rsa', RSA_OPTIONS));
}

function forgeKeys({ publicKey, privateKey }: { publicKey: string; privateKey: string }): KeyPair {
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey),
    privateKey: forge.pki.privateKeyFromPem(privateKey),
    privateKeyPem: privateKey,
  };
}

function serial(): string {
  // Positive, non-zero 16-byte serial number.
  return '01' + randomBytes(15).toString('hex');
}

/** Sleeps the thread (the CA is made synchronously, at start). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Writes `text` to `file` whole or not at all: a reader never sees half a PEM. */
function writeAtomic(file: string, text: string, mode?: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, mode ? { mode } : {});
  renameSync(tmp, file);
}

function loadCa(dir: string): LocalCa | undefined {
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca-key.pem');
  if (!existsSync(caFile) || !existsSync(keyFile)) return undefined;
  return { caCertPem: readFileSync(caFile, 'utf8'), caKeyPem: readFileSync(keyFile, 'utf8'), caFile };
}

/**
 * Loads the CA kept in `dir`, or creates one there (ca.pem, ca-key.pem). Processes that start at once (test
 * workers, an emulator and a demo) create it once: under a lock directory, files written atomically; a lock
 * left by a process that died is taken over after 60 s.
 */
export function loadOrCreateCa(dir: string): LocalCa {
  const existing = loadCa(dir);
  if (existing) return existing;
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.lock');
  for (let waited = 0; ; waited += 50) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const made = loadCa(dir);
      if (made) return made;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 60_000) rmSync(lock, { recursive: true, force: true });
      else if (waited > 120_000) throw new Error(`the CA in ${dir} is locked by another process (${lock})`);
      sleepSync(50);
    }
  }
  try {
    return loadCa(dir) ?? createCa(dir);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function createCa(dir: string): LocalCa {
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca-key.pem');
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 3650 * 24 * 3600 * 1000);
  const subject = [{ name: 'commonName', value: 'pg-restore-drill local emulator CA' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  const caCertPem = forge.pki.certificateToPem(cert);
  // The key first: the certificate's presence says the pair is complete.
  writeAtomic(keyFile, keys.privateKeyPem, 0o600);
  writeAtomic(caFile, caCertPem);
  return { caCertPem, caKeyPem: keys.privateKeyPem, caFile };
}

/** A server certificate for 127.0.0.1, ::1 and localhost (plus `extraHosts`), signed by the CA. */
export function issueServerCert(ca: LocalCa, extraHosts: string[] = []): ServerCert {
  return signServerCert(ca, rsaKeyPair(), extraHosts);
}

/** issueServerCert with the key made off the main thread. */
export async function issueServerCertAsync(ca: LocalCa, extraHosts: string[] = []): Promise<ServerCert> {
  return signServerCert(ca, await rsaKeyPairAsync(), extraHosts);
}

function signServerCert(ca: LocalCa, keys: KeyPair, extraHosts: string[]): ServerCert {
  const caCert = forge.pki.certificateFromPem(ca.caCertPem);
  const caKey = forge.pki.privateKeyFromPem(ca.caKeyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 825 * 24 * 3600 * 1000);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  const dnsNames = ['localhost', ...extraHosts.filter((h) => !/^[\d.:]+$/.test(h))];
  const ips = ['127.0.0.1', '::1', ...extraHosts.filter((h) => /^[\d.:]+$/.test(h))];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [...dnsNames.map((value) => ({ type: 2, value })), ...ips.map((ip) => ({ type: 7, ip }))],
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}
