import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { logVerifierKey } from '../src/audit/tlog/checkpoint';
import { grms } from './support/cli';

/** `grms witness init` and the checks `serve` makes on its configuration before listening. */
describe('grms witness init', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'grms-witness-init-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const logKey = logVerifierKey('grms.test.example/log', crypto.generateKeyPairSync('ed25519').publicKey);

  test('writes an Ed25519 PKCS#8 key readable by its owner only, prints the cosignature key, and never overwrites it', () => {
    const dir = path.join(root, 'w');
    const made = grms(['witness', 'init', '--dir', dir, '--name', 'witness.test.example/w1', '--log-key', logKey], {});
    expect(made.status).toBe(0);
    const vkey = made.stdout.trim();
    expect(made.stdout).toBe(`${vkey}\n`); // nothing else on stdout

    const keyFile = path.join(dir, 'witness-key.pem');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const pem = fs.readFileSync(keyFile, 'utf8');
    expect(pem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const privateKey = crypto.createPrivateKey(pem);
    expect(privateKey.asymmetricKeyType).toBe('ed25519');
    // The vkey, from the spec: name + hex(SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]) + base64(0x04 ‖ key).
    const raw = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32);
    const id = crypto.createHash('sha256').update(Buffer.concat([Buffer.from('witness.test.example/w1\n'), Buffer.from([4]), raw])).digest().subarray(0, 4);
    expect(vkey).toBe(`witness.test.example/w1+${id.toString('hex')}+${Buffer.concat([Buffer.from([4]), raw]).toString('base64')}`);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'witness.json'), 'utf8'))).toEqual({
      name: 'witness.test.example/w1', key: 'witness-key.pem', logs: [logKey], storage: 'state', listen: '127.0.0.1:7380', prefix: '',
    });
    expect(grms(['witness', 'show', '--dir', dir], {}).stdout).toBe(`${vkey}\n`);

    const again = grms(['witness', 'init', '--dir', dir, '--name', 'witness.test.example/w1'], {});
    expect(again.status).not.toBe(0);
    expect(again.stderr).toMatch(/already exists.*WITNESS_KEY_EXISTS/);
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(pem);
  });

  test('refuses a bad name or log key before writing anything', () => {
    const dir = path.join(root, 'bad');
    const spaced = grms(['witness', 'init', '--dir', dir, '--name', 'my witness'], {});
    expect(spaced.status).not.toBe(0);
    expect(spaced.stderr).toMatch(/--name must be a key name/);
    const badLog = grms(['witness', 'init', '--dir', dir, '--name', 'w.example/1', '--log-key', 'grms.test.example/log+00000000+AQ=='], {});
    expect(badLog.status).not.toBe(0);
    expect(badLog.stderr).toMatch(/not a verifier key/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('serve refuses a configuration without a log, with a log key that is not Ed25519, or with storage in a database folder', () => {
    const empty = path.join(root, 'no-log');
    expect(grms(['witness', 'init', '--dir', empty, '--name', 'w.example/2'], {}).status).toBe(0);
    const noLog = grms(['witness', 'serve', '--dir', empty], {});
    expect(noLog.status).not.toBe(0);
    expect(noLog.stderr).toMatch(/"logs" is empty.*WITNESS_CONFIG/);

    // Another witness's cosignature key in place of the log's key.
    const other = path.join(root, 'other');
    const cosignKey = grms(['witness', 'init', '--dir', other, '--name', 'w.example/3'], {}).stdout.trim();
    const config = JSON.parse(fs.readFileSync(path.join(empty, 'witness.json'), 'utf8'));
    fs.writeFileSync(path.join(empty, 'witness.json'), JSON.stringify({ ...config, logs: [cosignKey] }));
    const wrongType = grms(['witness', 'serve', '--dir', empty], {});
    expect(wrongType.status).not.toBe(0);
    expect(wrongType.stderr).toMatch(/cosignature\/v1; a log signs its checkpoints with an Ed25519 key/);

    // Storage pointed at a database folder (the log's embedded PGlite data, say).
    const dataDir = path.join(root, 'data');
    fs.mkdirSync(dataDir);
    fs.writeFileSync(path.join(dataDir, 'PG_VERSION'), '17\n');
    fs.writeFileSync(path.join(empty, 'witness.json'), JSON.stringify({ ...config, logs: [logKey], storage: dataDir }));
    const inDatabase = grms(['witness', 'serve', '--dir', empty], {});
    expect(inDatabase.status).not.toBe(0);
    expect(inDatabase.stderr).toMatch(/is a database folder.*WITNESS_CONFIG/);
    expect(fs.readdirSync(dataDir)).toEqual(['PG_VERSION']);
  });
});
