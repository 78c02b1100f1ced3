import crypto, { type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cosignatureKey } from '../tlog/cosignature';
import { CONFIG_FILE, DEFAULT_LISTEN, KEY_FILE, WitnessConfigError, checkKeyName, checkPrefix, parseListen, parseLogKeys, type WitnessConfigFile } from './config';

/** A witness folder already has a key: a witness's key is its identity, never silently replaced. */
export class WitnessKeyExists extends Error {
  readonly code = 'WITNESS_KEY_EXISTS';
}

export interface InitOptions {
  dir: string;
  name: string;
  logKeys: string[];
  listen?: string;
  storage?: string;
  prefix?: string;
}

/**
 * Makes the witness's Ed25519 key (PKCS#8 PEM, mode 0600) and `witness.json` in `dir`; refuses
 * when either exists. Returns the cosignature verifier key to hand to the log operator.
 */
export function initWitness(opts: InitOptions): { cosignatureKey: string; keyFile: string; configFile: string } {
  const config: WitnessConfigFile = {
    name: checkKeyName(opts.name, '--name'),
    key: KEY_FILE,
    logs: opts.logKeys,
    storage: opts.storage ?? 'state',
    listen: opts.listen ?? DEFAULT_LISTEN,
    prefix: checkPrefix(opts.prefix ?? ''),
  };
  parseListen(config.listen);
  parseLogKeys(config.logs);
  const keyFile = path.join(opts.dir, KEY_FILE);
  const configFile = path.join(opts.dir, CONFIG_FILE);
  for (const f of [keyFile, configFile]) {
    if (fs.existsSync(f)) throw new WitnessKeyExists(`${f} already exists: a witness keeps its key for life (auditors pin it); use another --dir for a new witness`);
  }
  fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ed25519');
  // 'wx' fails if the file appeared since the check above: nothing is ever overwritten.
  fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  try {
    fs.writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
  } catch (err) {
    fs.rmSync(keyFile);
    throw err;
  }
  return { cosignatureKey: cosignatureKey(config.name, publicKey), keyFile, configFile };
}

/** Loads the witness's private key; it must be Ed25519 (the cosignature/v1 algorithm). */
export function loadWitnessKey(file: string): { privateKey: KeyObject; publicKey: KeyObject; looseMode: boolean } {
  let privateKey: KeyObject;
  try {
    privateKey = crypto.createPrivateKey(fs.readFileSync(file));
  } catch (err) {
    throw new WitnessConfigError(`cannot read the witness key ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new WitnessConfigError(`${file} holds a ${privateKey.asymmetricKeyType} key; a cosignature/v1 witness key is Ed25519`);
  // Readable by others than its owner: said at start-up, not refused (some secret mounts are 0644).
  const looseMode = (fs.statSync(file).mode & 0o077) !== 0;
  return { privateKey, publicKey: crypto.createPublicKey(privateKey), looseMode };
}
