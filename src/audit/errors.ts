/** Errors of the audit trail. They mean a bug or a broken invariant in the caller, never bad user input. */

/** appendAuditEvent was asked for seq n but row n-1 of that chain does not exist. */
export class AuditSequenceError extends Error {
  readonly code = 'AUDIT_SEQUENCE';
  constructor(
    readonly instanceId: string,
    readonly seq: number,
    message: string,
  ) {
    super(message);
  }
}

/** The event cannot be hashed or stored as given (bad uuid, unknown extra column name …). */
export class AuditEventInvalid extends Error {
  readonly code = 'AUDIT_EVENT_INVALID';
}

/** The deployment key is not an Ed25519 key (someone stored another key under its name). */
export class AuditKeyError extends Error {
  readonly code = 'AUDIT_KEY_INVALID';
}
