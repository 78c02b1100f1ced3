/** The tamper-evident audit trail: per-instance hash chains, signed checkpoints, verification. */
export { appendAuditEvent, nextAuditSeq, type AuditEventInput } from './chain';
export { payloadDigest, rowHash, canonicalJson, type Head } from './hash';
export { merkleRoot, HeadTree } from './merkle';
export { ensureCheckpointKey, auditPublicKey, keyIdOf, CHECKPOINT_KEY_NAME, type CheckpointKey } from './keys';
export { createCheckpoint, checkpointMessage, type Checkpoint, type CheckpointOptions } from './checkpoint';
export { startCheckpointScheduler } from './scheduler';
export { verifyAudit, type AuditBreak, type VerifyOptions, type VerifyResult } from './verify';
export { AuditSequenceError, AuditEventInvalid, AuditKeyError } from './errors';
