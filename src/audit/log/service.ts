import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types';
import type { LogConfig } from '../../config';
import { startPeriodic } from '../../periodic';
import { logVerifierKey, parsePolicy, parseVerifierKey, policyFromKeys, verifyCheckpoint, type LogSigner, type Policy } from '../tlog';
import { blockingAlarm, checkpointLog, cosignedCheckpoint, logHeads, type CheckpointOutcome } from './checkpoint';
import { integrateLog, type Integration } from './integrate';
import type { Witness } from './witness-list';
import { pushToWitnesses, type SendCheckpoint, type WitnessOutcome } from './witnesses';

/** What a server says about a log no witness cosigns. */
export const UNWITNESSED =
  'no witness cosigns this log\'s checkpoints (GRMS_WITNESSES is empty): its history is only as trustworthy as its operator';

/** The log of one deployment: its database, its signer, its witnesses and the policy verifiers hold. */
export interface TransparencyLog {
  db: Kysely<Database>;
  signer: LogSigner;
  /** The log's C2SP verifier key (`grms key show` prints it). */
  verifierKey: string;
  witnesses: readonly Witness[];
  /** The witness quorum (GRMS_WITNESS_POLICY, else every configured witness). */
  policy: Policy;
  /** How checkpoints reach the witnesses (the C2SP tlog-witness client). */
  send: SendCheckpoint;
  /** Time one witness may take to answer. */
  witnessTimeoutMs?: number;
}

export class LogConfigInvalid extends Error {
  readonly code = 'LOG_CONFIG_INVALID';
}

/**
 * The deployment's log from its settings: the log key is the deployment's checkpoint key, named
 * by the origin. Refuses witnesses on a guessed origin (witnesses pin the origin for good) and a
 * policy that does not name this log's key.
 */
export function openTransparencyLog(db: Kysely<Database>, privateKey: crypto.KeyObject, config: LogConfig, send: SendCheckpoint): TransparencyLog {
  if (config.witnesses.length > 0 && !config.originSet) {
    throw new LogConfigInvalid('GRMS_WITNESSES is set but GRMS_LOG_ORIGIN is not: witnesses pin the log by its origin, so give it one that never changes (e.g. grms.semarangkota.go.id/log)');
  }
  const signer: LogSigner = { origin: config.origin, privateKey };
  const verifierKey = logVerifierKey(config.origin, crypto.createPublicKey(privateKey));
  const policy = logPolicy(config, verifierKey);
  return { db, signer, verifierKey, witnesses: config.witnesses, policy, send };
}

/**
 * The witness quorum of the log with `verifierKey`: GRMS_WITNESS_POLICY (which must name that key),
 * else every configured witness. Needs only the log's public key, so a read-only export can use it.
 */
export function logPolicy(config: LogConfig, verifierKey: string): Policy {
  if (!config.policyFile) return policyFromKeys(verifierKey, config.witnesses.map((w) => w.key.text));
  let text: string;
  try {
    text = fs.readFileSync(config.policyFile, 'utf8');
  } catch (err) {
    throw new LogConfigInvalid(`GRMS_WITNESS_POLICY: cannot read ${config.policyFile}: ${(err as Error).message}`, { cause: err });
  }
  let policy: Policy;
  try {
    policy = parsePolicy(text);
  } catch (err) {
    throw new LogConfigInvalid(`GRMS_WITNESS_POLICY: ${(err as Error).message}`, { cause: err });
  }
  const mine = parseVerifierKey(verifierKey);
  if (!policy.logs.some((k) => k.name === mine.name && k.keyId.equals(mine.keyId))) {
    throw new LogConfigInvalid(`GRMS_WITNESS_POLICY does not name this log's key ${verifierKey}: verifiers holding it would refuse every checkpoint`);
  }
  return policy;
}

/** One round: integrate, sign a checkpoint when the tree grew, push it to the witnesses that lack it. */
export interface LogRound {
  integration: Integration;
  checkpoint: CheckpointOutcome | null;
  witnesses: WitnessOutcome[];
  /** Whether the latest checkpoint's cosignatures meet the policy's quorum. */
  quorumMet: boolean;
}

/** "Integrate and checkpoint now": what `grms log checkpoint`, the admin call and the periodic round run. */
export async function integrateAndCheckpoint(log: TransparencyLog): Promise<LogRound> {
  const integration = await integrateLog(log.db);
  const checkpoint = await checkpointLog(log.db, log.signer);
  const witnesses = checkpoint && log.witnesses.length
    ? await pushToWitnesses(log.db, checkpoint, log.witnesses, { send: log.send, timeoutMs: log.witnessTimeoutMs })
    : [];
  return { integration, checkpoint, witnesses, quorumMet: await quorumOfLatest(log) };
}

async function quorumOfLatest(log: TransparencyLog): Promise<boolean> {
  const cp = await cosignedCheckpoint(log.db);
  if (!cp) return false;
  try {
    return verifyCheckpoint(cp.note, log.policy).quorumMet;
  } catch {
    return false;
  }
}

/** What /readyz says about the log. */
export interface LogStatus {
  origin: string;
  size: number;
  checkpointSize: number | null;
  witnesses: Array<{ name: string; cosignedSize: number | null }>;
  quorumMet: boolean;
  /** A fatal alarm stops checkpointing (a witness holds a larger tree than this database). */
  halted: { alarm: number; reportedSize: number; detail: string } | null;
  /** Said plainly when no witness cosigns the log. */
  trust: string;
}

export async function logStatus(log: TransparencyLog): Promise<LogStatus> {
  const heads = await logHeads(log.db);
  const alarm = await blockingAlarm(log.db, heads.size);
  const cosigned = await log.db.selectFrom('log_cosignatures').select(['witness', (eb) => eb.fn.max('size').as('size')]).groupBy('witness').execute();
  const witnesses = log.witnesses.map((w) => {
    const c = cosigned.find((r) => r.witness === w.name);
    return { name: w.name, cosignedSize: c ? Number(c.size) : null };
  });
  return {
    origin: log.signer.origin,
    size: heads.size,
    checkpointSize: heads.checkpointSize,
    witnesses,
    quorumMet: await quorumOfLatest(log),
    halted: alarm ? { alarm: alarm.id, reportedSize: alarm.reportedSize, detail: alarm.detail } : null,
    trust: log.witnesses.length ? `checkpoints are pushed to ${log.witnesses.length} witness(es): ${log.witnesses.map((w) => w.name).join(', ')}` : UNWITNESSED,
  };
}

/**
 * Runs integrateAndCheckpoint every `intervalMs` inside `grms serve` (several processes may each
 * run one: the advisory locks order them). The returned stop function waits for a running round.
 */
export function startLogScheduler(log: TransparencyLog, intervalMs: number, onError: (err: unknown) => void, onRound: (round: LogRound) => void): () => Promise<void> {
  return startPeriodic(async () => onRound(await integrateAndCheckpoint(log)), intervalMs, onError);
}
