import type { KeyObject } from 'node:crypto';
import type { Logger } from '../../log';
import { GrmsError, WitnessConflict, witnessBadSignature, witnessInconsistent, witnessMalformed, witnessOldSizeTooLarge, witnessUnknownLog } from '../../errors';
import { EMPTY_TREE_HASH } from '../tlog/hash';
import { TlogError } from '../tlog/errors';
import { formatNote, parseNote, type VerifierKey } from '../tlog/note';
import { openCheckpoint, parseCheckpointBody, type CheckpointBody } from '../tlog/checkpoint';
import { cosign } from '../tlog/cosignature';
import { verifyConsistency } from '../tlog/proofs';
import { parseAddCheckpoint, type AddCheckpointRequest } from './request';
import { originHash, type RefusalKind, type WitnessStore } from './store';

export interface WitnessIdentity {
  name: string;
  privateKey: KeyObject;
}

const b64 = (b: Buffer) => b.toString('base64');

/**
 * The add-checkpoint decision (C2SP tlog-witness): verify the log's signature, compare the request
 * with the latest cosigned checkpoint, verify the consistency proof, then persist and cosign — the
 * compare and the persist under one lock per origin, so two requests never roll each other back.
 */
export class Witness {
  constructor(
    private readonly store: WitnessStore,
    private readonly logs: Map<string, VerifierKey>,
    private readonly identity: WitnessIdentity,
    private readonly logger: Logger,
    /** Cosignature times are on the real clock (seconds since the epoch), never the workflow clock. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Answers one request body with the cosignature line(s) ("— name …\n"); throws a GrmsError to refuse. */
  async addCheckpoint(raw: Buffer): Promise<string> {
    const req = parseAddCheckpoint(raw);
    let origin: string;
    try {
      origin = parseCheckpointBody(parseNote(req.checkpoint).text).origin;
    } catch (err) {
      if (err instanceof TlogError) throw witnessMalformed(`The checkpoint is not a signed checkpoint note: ${err.message}`);
      throw err;
    }
    const logKey = this.logs.get(origin);
    if (!logKey) throw witnessUnknownLog(`This witness cosigns no log with the origin ${JSON.stringify(origin)}`);
    let opened: { body: CheckpointBody; note: ReturnType<typeof parseNote> };
    try {
      opened = openCheckpoint(req.checkpoint, logKey);
    } catch (err) {
      if (err instanceof TlogError && err.code === 'TLOG_SIGNATURE') throw witnessBadSignature(`No valid signature of the log key ${logKey.name}+${logKey.keyId.toString('hex')}: ${err.message}`);
      if (err instanceof TlogError) throw witnessMalformed(`The checkpoint is malformed: ${err.message}`);
      throw err;
    }
    return this.store.exclusive(origin, () => this.decide(req, opened.body, opened.note, logKey));
  }

  private async decide(req: AddCheckpointRequest, body: CheckpointBody, note: ReturnType<typeof parseNote>, logKey: VerifierKey): Promise<string> {
    const cur = this.store.latest(body.origin);
    const size = cur?.size ?? 0;
    const root = cur?.root ?? EMPTY_TREE_HASH;
    // What the checkpoint itself shows against the cosigned tree, whatever old size was sent.
    const against: RefusalKind | undefined = body.size < size ? 'rollback' : body.size === size && !body.root.equals(root) ? 'fork' : undefined;
    const refuse = async (kind: RefusalKind, err: GrmsError): Promise<never> => {
      const refusal = {
        time: new Date(this.now()).toISOString(), origin: body.origin, kind, status: err.status, message: err.message,
        oldSize: req.oldSize, cosignedSize: size, cosignedRoot: b64(root), checkpoint: req.checkpoint, proof: req.proof.map(b64),
      };
      try {
        await this.store.recordRefusal(refusal);
      } catch (recordErr) {
        // The refusal stands even when its record cannot be written; say so loudly.
        this.logger.error({ err: recordErr, origin: body.origin, kind }, 'could not record a refused checkpoint');
      }
      this.logger.warn({ origin: body.origin, kind, status: err.status, oldSize: req.oldSize, size: body.size, cosignedSize: size }, `refused checkpoint: ${err.message}`);
      throw err;
    };
    const at = `size ${size} (root ${b64(root)})`;

    if (req.oldSize > body.size) return refuse(against ?? 'old-exceeds-new', witnessOldSizeTooLarge(`old ${req.oldSize} is larger than the checkpoint's size ${body.size}`));
    if (req.oldSize !== size) {
      const why = against === 'rollback' ? `; the checkpoint's tree (size ${body.size}) is smaller than the one cosigned: a log never shrinks`
        : against === 'fork' ? `; the checkpoint has the cosigned size with another root (${b64(body.root)}): the log shows two different trees`
        : '';
      return refuse(against ?? 'stale-old-size', new WitnessConflict(size, `old ${req.oldSize} is not the size this witness last cosigned: ${at}${why}`));
    }
    if (body.size === 0 && !body.root.equals(EMPTY_TREE_HASH)) return refuse('inconsistent', witnessInconsistent(`A checkpoint of size 0 must carry the empty tree's root hash ${b64(EMPTY_TREE_HASH)}`));
    if (req.oldSize === body.size) {
      if (req.proof.length) return refuse(against ?? 'inconsistent', witnessInconsistent(`No proof belongs between equal sizes; the request carried ${req.proof.length} proof line(s)`));
      if (against === 'fork') return refuse('fork', new WitnessConflict(size, `This witness cosigned ${at}; the checkpoint has the same size with another root (${b64(body.root)}): the log shows two different trees`));
    } else if (req.oldSize === 0) {
      if (req.proof.length) return refuse('inconsistent', witnessInconsistent(`From old 0 the proof must be empty (the empty tree is consistent with every tree); the request carried ${req.proof.length} line(s)`));
    } else if (!consistent(req.oldSize, body.size, root, body.root, req.proof)) {
      return refuse('inconsistent', witnessInconsistent(`The consistency proof from size ${req.oldSize} to ${body.size} does not verify against the root this witness cosigned at ${at}: a leaf was rewritten, or the log forked`));
    }

    const timestamp = Math.floor(this.now() / 1000);
    const line = cosign(note.text, this.identity.name, this.identity.privateKey, timestamp).replace(/\n$/, '');
    const logLines = note.signatures.filter((s) => s.name === logKey.name && s.keyId.equals(logKey.keyId)).map((s) => s.line);
    await this.store.save({
      origin: body.origin, size: body.size, root: body.root,
      checkpoint: formatNote(note.text, [...logLines, line]), cosignedAt: new Date(timestamp * 1000).toISOString(),
    });
    this.logger.info({ origin: body.origin, size: body.size, from: size }, 'cosigned checkpoint');
    return `${line}\n`;
  }

  /** The latest cosigned checkpoint (log signature and cosignature) of the log whose origin hashes to `hash`. */
  latestCheckpoint(hash: string): string | undefined {
    for (const origin of this.logs.keys()) {
      if (originHash(origin) === hash) return this.store.latest(origin)?.checkpoint;
    }
    return undefined;
  }
}

/** A proof of the wrong length or shape is as inconsistent as a wrong hash. */
function consistent(oldSize: number, newSize: number, oldRoot: Buffer, newRoot: Buffer, proof: Buffer[]): boolean {
  try {
    return verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof);
  } catch (err) {
    if (err instanceof TlogError || err instanceof RangeError) return false;
    throw err;
  }
}
