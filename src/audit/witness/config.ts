/**
 * A grms witness: a small HTTP service run by another institution (an Inspektorat, a university,
 * a civil-society group) that cosigns the log's checkpoints only when each extends the last one it
 * cosigned (C2SP tlog-witness). It keeps its own key and its own storage, never the log's database.
 *
 * Terminology:
 * - witness folder: where `grms witness init` writes `witness.json` and the witness's private key.
 * - log key: the log's Ed25519 verifier key (a C2SP vkey); its key name is the log's origin line.
 * - cosignature key: the witness's own verifier key (signature type 0x04, cosignature/v1), which
 *   the log operator and auditors put in their witness policy.
 * - storage: the witness's state (the latest cosigned checkpoint per origin) and its refusals log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseVerifierKey, type VerifierKey } from '../tlog/note';

export const CONFIG_FILE = 'witness.json';
export const KEY_FILE = 'witness-key.pem';
export const DEFAULT_LISTEN = '127.0.0.1:7380';

/** What `witness.json` holds (paths relative to the witness folder unless absolute). */
export interface WitnessConfigFile {
  /** The witness's key name, a schema-less URL such as `witness.inspektorat.example.go.id`. */
  name: string;
  /** The PKCS#8 PEM private key `grms witness init` wrote. */
  key: string;
  /** The log verifier keys this witness cosigns for (one per origin). */
  logs: string[];
  /** A folder of the witness's own. */
  storage: string;
  /** host:port (port 0: any free port). */
  listen: string;
  /** The submission prefix: the path before `/add-checkpoint` ("" or e.g. "/witness"). */
  prefix: string;
}

/** The configuration checked and resolved, ready to serve. */
export interface WitnessConfig {
  dir: string;
  name: string;
  keyFile: string;
  /** By origin. */
  logs: Map<string, VerifierKey>;
  storage: string;
  listen: { host: string; port: number };
  prefix: string;
}

export class WitnessConfigError extends Error {
  readonly code = 'WITNESS_CONFIG';
}

const FIELDS = ['name', 'key', 'logs', 'storage', 'listen', 'prefix'] as const;

/** C2SP signed-note key names: non-empty, no Unicode spaces, no plus; no control characters either. */
export function checkKeyName(name: string, what: string): string {
  if (!/^[^\s+\u0000-\u001f\u007f]+$/u.test(name)) throw new WitnessConfigError(`${what} must be a key name without spaces or "+" (e.g. witness.example.go.id/w1), got ${JSON.stringify(name)}`);
  return name;
}

/** "host:port" or "[v6]:port". */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new WitnessConfigError(`listen must be host:port (e.g. 127.0.0.1:7380 or [::1]:7380), got ${JSON.stringify(value)}`);
  return { host: m[1] ?? m[2]!, port };
}

export function checkPrefix(prefix: string): string {
  if (prefix !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(prefix)) throw new WitnessConfigError(`prefix must be "" or a path such as /witness (no trailing slash), got ${JSON.stringify(prefix)}`);
  return prefix;
}

/** Parses the log keys and keys them by origin; a key must be Ed25519 and name its origin once. */
export function parseLogKeys(keys: string[]): Map<string, VerifierKey> {
  const logs = new Map<string, VerifierKey>();
  for (const text of keys) {
    let key: VerifierKey;
    try {
      key = parseVerifierKey(text);
    } catch (err) {
      throw new WitnessConfigError(`log key ${JSON.stringify(text)} is not a verifier key (name+keyid+base64): ${(err as Error).message}`, { cause: err });
    }
    if (key.type !== 'ed25519') throw new WitnessConfigError(`log key ${key.name} is of type ${key.type}; a log signs its checkpoints with an Ed25519 key`);
    if (logs.has(key.name)) throw new WitnessConfigError(`two log keys for the origin ${key.name}: give one`);
    logs.set(key.name, key);
  }
  return logs;
}

/** Reads and checks `<dir>/witness.json`; every error names what to fix. */
export function readWitnessConfig(dir: string): WitnessConfig {
  const file = path.join(dir, CONFIG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new WitnessConfigError(missing ? `${file} does not exist: run \`grms witness init --dir ${dir} --name <name>\` first` : `${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new WitnessConfigError(`${file} must hold a JSON object`);
  const c = raw as Record<string, unknown>;
  const unknown = Object.keys(c).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw new WitnessConfigError(`${file}: unknown setting(s) ${unknown.join(', ')}; the settings are ${FIELDS.join(', ')}`);
  for (const k of ['name', 'key', 'storage', 'listen'] as const) {
    if (typeof c[k] !== 'string' || c[k] === '') throw new WitnessConfigError(`${file}: "${k}" must be a non-empty string`);
  }
  if (c.prefix !== undefined && typeof c.prefix !== 'string') throw new WitnessConfigError(`${file}: "prefix" must be a string`);
  if (!Array.isArray(c.logs) || !c.logs.every((k) => typeof k === 'string')) throw new WitnessConfigError(`${file}: "logs" must be a list of log verifier keys`);
  if (c.logs.length === 0) throw new WitnessConfigError(`${file}: "logs" is empty; add the log's verifier key (its operator prints it) so the witness knows whom it cosigns for`);
  const cfg = c as unknown as WitnessConfigFile;
  return {
    dir,
    name: checkKeyName(cfg.name, 'name'),
    keyFile: path.resolve(dir, cfg.key),
    logs: parseLogKeys(cfg.logs),
    storage: path.resolve(dir, cfg.storage),
    listen: parseListen(cfg.listen),
    prefix: checkPrefix(cfg.prefix ?? ''),
  };
}
