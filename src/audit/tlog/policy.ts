import { openCheckpoint, type CheckpointBody } from './checkpoint';
import { verifyCosignature } from './cosignature';
import { TlogError } from './errors';
import { parseVerifierKey, type VerifierKey } from './note';

/**
 * C2SP tlog-policy: which logs a verifier accepts and which witnesses must have cosigned.
 *   log <vkey> [url] · witness <name> <vkey> [url] · group <name> all|any|<k> <member>… · quorum <name>|none
 */
export interface Group {
  name: string;
  threshold: number;
  members: string[];
}

export interface Policy {
  logs: VerifierKey[];
  witnesses: Map<string, VerifierKey>;
  groups: Map<string, Group>;
  /** A witness or group name, or 'none'. */
  quorum: string;
  /** Witness URLs, where the policy names them. */
  urls: Map<string, string>;
}

const MAX_ENTRIES = 256;

export function parsePolicy(text: string): Policy {
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) throw new TlogError('TLOG_POLICY', 'policy holds control characters other than tab and newline');
  const policy: Policy = { logs: [], witnesses: new Map(), groups: new Map(), quorum: '', urls: new Map() };
  const seenKeys = new Set<string>();
  const defined = (name: string): boolean => policy.witnesses.has(name) || policy.groups.has(name);
  let quorumLines = 0;
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (!line || line.startsWith('#')) return;
    const where = `policy line ${i + 1}`;
    const [kind, ...args] = line.split(/[ \t]+/);
    if (policy.logs.length + policy.witnesses.size + policy.groups.size > MAX_ENTRIES) throw new TlogError('TLOG_POLICY', `policy has more than ${MAX_ENTRIES} entries`);
    const uniqueKey = (k: VerifierKey): void => {
      const raw = k.publicKey.export({ type: 'spki', format: 'der' }).toString('hex');
      if (seenKeys.has(raw)) throw new TlogError('TLOG_POLICY', `${where}: the same public key is listed twice`);
      seenKeys.add(raw);
    };
    const key = (t: string | undefined): VerifierKey => {
      try {
        return parseVerifierKey(t ?? '');
      } catch (err) {
        throw new TlogError('TLOG_POLICY', `${where}: ${(err as Error).message}`);
      }
    };
    switch (kind) {
      case 'log': {
        if (args.length < 1 || args.length > 2) throw new TlogError('TLOG_POLICY', `${where}: expected "log <vkey> [url]"`);
        const k = key(args[0]);
        if (k.type !== 'ed25519') throw new TlogError('TLOG_POLICY', `${where}: a log key must be an Ed25519 note key`);
        uniqueKey(k);
        policy.logs.push(k);
        return;
      }
      case 'witness': {
        if (args.length < 2 || args.length > 3) throw new TlogError('TLOG_POLICY', `${where}: expected "witness <name> <vkey> [url]"`);
        const name = args[0]!;
        if (name === 'none' || defined(name)) throw new TlogError('TLOG_POLICY', `${where}: name "${name}" is already defined`);
        const k = key(args[1]);
        if (k.type !== 'cosignature/v1') throw new TlogError('TLOG_POLICY', `${where}: a witness key must be a cosignature/v1 key`);
        uniqueKey(k);
        policy.witnesses.set(name, k);
        if (args[2]) policy.urls.set(name, args[2]);
        return;
      }
      case 'group': {
        const [name, k, ...members] = args;
        if (!name || !k || members.length === 0) throw new TlogError('TLOG_POLICY', `${where}: expected "group <name> all|any|<k> <member>..."`);
        if (name === 'none' || defined(name)) throw new TlogError('TLOG_POLICY', `${where}: name "${name}" is already defined`);
        if (new Set(members).size !== members.length) throw new TlogError('TLOG_POLICY', `${where}: a member is listed twice`);
        for (const m of members) if (!defined(m)) throw new TlogError('TLOG_POLICY', `${where}: "${m}" is not defined on an earlier line`);
        const threshold = k === 'all' ? members.length : k === 'any' ? 1 : /^[1-9][0-9]*$/.test(k) ? Number(k) : NaN;
        if (!(threshold >= 1 && threshold <= members.length)) throw new TlogError('TLOG_POLICY', `${where}: threshold "${k}" must be all, any or 1..${members.length}`);
        policy.groups.set(name, { name, threshold, members });
        return;
      }
      case 'quorum': {
        if (args.length !== 1) throw new TlogError('TLOG_POLICY', `${where}: expected "quorum <name>"`);
        if (args[0] !== 'none' && !defined(args[0]!)) throw new TlogError('TLOG_POLICY', `${where}: quorum "${args[0]}" is not defined on an earlier line`);
        policy.quorum = args[0]!;
        quorumLines++;
        return;
      }
      default:
        throw new TlogError('TLOG_POLICY', `${where}: unknown line "${kind}"`);
    }
  });
  if (quorumLines !== 1) throw new TlogError('TLOG_POLICY', 'a policy has exactly one quorum line');
  if (policy.logs.length === 0) throw new TlogError('TLOG_POLICY', 'the policy names no log');
  return policy;
}

/** A policy from a log key and witness keys: a quorum of `quorum` of them (all by default). */
export function policyFromKeys(logKey: string, witnessKeys: string[], quorum: number | 'all' | 'any' = 'all'): Policy {
  const lines = [`log ${logKey}`];
  const names: string[] = [];
  witnessKeys.forEach((w, i) => {
    const k = parseVerifierKey(w);
    names.push(`w${i + 1}`);
    lines.push(`witness w${i + 1} ${k.text}`);
  });
  if (names.length === 0) lines.push('quorum none');
  else {
    lines.push(`group witnesses ${quorum} ${names.join(' ')}`);
    lines.push('quorum witnesses');
  }
  return parsePolicy(lines.join('\n'));
}

export function quorumMet(policy: Policy, cosigners: ReadonlySet<string>): boolean {
  const witnessed = (name: string): boolean => {
    if (policy.witnesses.has(name)) return cosigners.has(name);
    const g = policy.groups.get(name);
    return !!g && g.members.filter(witnessed).length >= g.threshold;
  };
  return policy.quorum === 'none' || witnessed(policy.quorum);
}

export interface CheckpointVerdict {
  body: CheckpointBody;
  logKey: VerifierKey;
  /** Policy names of the witnesses whose cosignature verified. */
  cosigners: string[];
  quorumMet: boolean;
  /** Policy witnesses whose key signed a line that does not verify. */
  badCosigners: string[];
}

/** Throws TlogError when no log of the policy signed the checkpoint; reports the witnesses otherwise. */
export function verifyCheckpoint(note: string, policy: Policy): CheckpointVerdict {
  let lastError: unknown = new TlogError('TLOG_SIGNATURE', 'the policy names no log');
  for (const logKey of policy.logs) {
    let opened;
    try {
      opened = openCheckpoint(note, logKey);
    } catch (err) {
      lastError = err;
      continue;
    }
    const cosigners: string[] = [];
    const badCosigners: string[] = [];
    for (const [name, key] of policy.witnesses) {
      const lines = opened.note.signatures.filter((s) => s.name === key.name && s.keyId.equals(key.keyId));
      if (lines.length === 0) continue;
      if (lines.every((s) => verifyCosignature(opened.note.text, s, key))) cosigners.push(name);
      else badCosigners.push(name);
    }
    return { body: opened.body, logKey, cosigners, badCosigners, quorumMet: quorumMet(policy, new Set(cosigners)) };
  }
  throw lastError;
}
