import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A real RFC 3161 time-stamping authority for tests: a small HTTP wrapper around
 * `openssl ts -reply`, with its own root CA (which publishes a CRL here too) and a TSA certificate
 * with the critical timeStamping extended key usage. Answers POST /tsa (application/timestamp-query)
 * and GET /tsa-ca.crl. `mode` makes it fail on purpose: 'refuse' answers 500, 'hang' never answers.
 * Needs openssl (describeWithTools(…, ['openssl'])).
 */
export interface TestTsa {
  url: string;
  /** The TSA's root CA certificate (PEM) and a file holding it (GRMS_TSA_TRUST_ANCHORS). */
  caPem: string;
  caFile: string;
  /** The TSA's own certificate (PEM). */
  certPem: string;
  crlUrl: string;
  /** Settings for a grms process (startTestApp's env). */
  env: Record<string, string>;
  mode: 'ok' | 'refuse' | 'hang';
  /** Time-stamps issued so far. */
  issued: number;
  close(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

function runOpenssl(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve() : reject(new Error(`openssl ${args[0]} ${args[1]}: ${stderr}`))));
  });
}

export async function startTestTsa(): Promise<TestTsa> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-tsa-'));
  let serial = 0x1000;
  const hanging = new Set<http.ServerResponse>();
  const tsa: TestTsa = {
    url: '', caPem: '', caFile: path.join(dir, 'ca.pem'), certPem: '', crlUrl: '', env: {}, mode: 'ok', issued: 0,
    close: async () => {
      for (const res of hanging) res.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/tsa-ca.crl') {
      res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(fs.readFileSync(path.join(dir, 'crl.der')));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/tsa') {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (tsa.mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (tsa.mode === 'refuse' || req.headers['content-type'] !== 'application/timestamp-query') {
        res.writeHead(500).end();
        return;
      }
      // Each request its own folder and serial file, so requests run side by side.
      const work = fs.mkdtempSync(path.join(dir, 'q-'));
      fs.writeFileSync(path.join(work, 'q.tsq'), Buffer.concat(chunks));
      fs.writeFileSync(path.join(work, 'serial'), `${(serial++).toString(16)}\n`);
      fs.writeFileSync(path.join(work, 'tsa.cnf'), tsaConfig(dir, work));
      runOpenssl(['ts', '-reply', '-config', 'tsa.cnf', '-queryfile', 'q.tsq', '-out', 'r.tsr'], work)
        .then(() => {
          tsa.issued++;
          res.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(fs.readFileSync(path.join(work, 'r.tsr')));
        })
        .catch(() => res.writeHead(500).end())
        .finally(() => fs.rmSync(work, { recursive: true, force: true }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tsa.url = `${base}/tsa`;
  tsa.crlUrl = `${base}/tsa-ca.crl`;

  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-sha256',
    '-subj', '/C=ID/O=grms test/CN=grms Test TSA Root', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  fs.writeFileSync(path.join(dir, 'tsa.ext'), [
    'basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,nonRepudiation', 'extendedKeyUsage=critical,timeStamping',
    'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid', `crlDistributionPoints=URI:${tsa.crlUrl}`, '',
  ].join('\n'));
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/C=ID/O=grms test/CN=grms Test TSA'], dir);
  openssl(['x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', '0x5a5a01', '-days', '1825', '-sha256',
    '-extfile', 'tsa.ext', '-out', 'tsa.pem'], dir);
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'crlnumber'), '1000\n');
  fs.writeFileSync(path.join(dir, 'ca.cnf'), [
    '[ca]', 'default_ca = test', '[test]', `database = ${dir}/index.txt`, `crlnumber = ${dir}/crlnumber`, `certificate = ${dir}/ca.pem`,
    `private_key = ${dir}/ca.key`, 'default_md = sha256', 'default_crl_days = 30', 'crl_extensions = crl_ext', '[crl_ext]', 'authorityKeyIdentifier = keyid:always', '',
  ].join('\n'));
  openssl(['ca', '-gencrl', '-config', 'ca.cnf', '-out', 'crl.pem'], dir);
  openssl(['crl', '-in', 'crl.pem', '-outform', 'DER', '-out', 'crl.der'], dir);
  tsa.caPem = fs.readFileSync(tsa.caFile, 'utf8');
  tsa.certPem = fs.readFileSync(path.join(dir, 'tsa.pem'), 'utf8');
  // A generous timeout: on a loaded test machine one `openssl ts` may take seconds; tests of the timeout set their own.
  tsa.env = { GRMS_TSA_URL: tsa.url, GRMS_TSA_TRUST_ANCHORS: tsa.caFile, GRMS_TSA_TIMEOUT_MS: '60000' };
  return tsa;
}

function tsaConfig(dir: string, work: string): string {
  return [
    '[tsa]', 'default_tsa = tsa_config', '[tsa_config]', `serial = ${work}/serial`, 'crypto_device = builtin',
    `signer_cert = ${dir}/tsa.pem`, `certs = ${dir}/ca.pem`, `signer_key = ${dir}/tsa.key`, 'signer_digest = sha256',
    'default_policy = 1.3.6.1.4.1.59999.1.1', 'digests = sha256, sha384, sha512', 'clock_precision_digits = 3', 'ordering = no',
    'tsa_name = yes', 'ess_cert_id_chain = no', 'ess_cert_id_alg = sha256', '',
  ].join('\n');
}
