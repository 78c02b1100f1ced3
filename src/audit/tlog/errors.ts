/** A malformed, unsigned or unprovable log artefact (note, checkpoint, proof, policy). */
export type TlogErrorCode = 'TLOG_FORMAT' | 'TLOG_SIGNATURE' | 'TLOG_PROOF' | 'TLOG_POLICY';

export class TlogError extends Error {
  constructor(
    readonly code: TlogErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TlogError';
  }
}
