import type { Request } from 'express';
import crypto from 'node:crypto';
import busboy from 'busboy';
import { badRequest, payloadTooLarge, reservedKey } from '../errors';
import { reservedNameProblems } from '../api/request-guard';
import { readUpload, type Upload } from '../api/upload-body';

/**
 * Console pages that take one file (src/web/csrf.ts names them): the body is read as it arrives and
 * bounded, and its `_csrf` field is handed back for the page to check once the body is read.
 */
/** Room for the multipart framing and the form's other fields around the file. */
export const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/** The one file of a multipart upload (a PDF to verify, a logo) (read as it arrives, src/api/upload-body.ts) or why there is none, and the form's `_csrf` field. */
export function readMultipartFile(req: Request, maxBytes: number): Promise<{ upload?: Upload; problem?: 'none' | 'too-large'; csrf?: string }> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: 2, fieldSize: 1024 } });
    } catch {
      resolve({ problem: 'none' });
      return;
    }
    let file: Promise<Upload | undefined> | undefined;
    const declared = Number(req.get('content-length') ?? 0) || undefined;
    let csrf: string | undefined;
    parser.on('field', (name, value) => {
      if (name === '_csrf') csrf = value;
    });
    parser.on('file', (_name, stream) => {
      file = readUpload(stream, maxBytes, declared);
      file.catch(() => undefined); // awaited on close
    });
    parser.on('error', reject);
    parser.on('close', () => {
      if (!file) return resolve({ csrf, problem: 'none' });
      file.then((u) => resolve({ csrf, ...(!u ? { problem: 'too-large' as const } : u.bytes.length > 0 ? { upload: u } : { problem: 'none' as const }) }), reject);
    });
    req.pipe(parser);
  });
}


/** A file of a data form, hashed as it streamed in and not kept: its name, size and SHA-256. */
export interface HashedFile {
  filename: string;
  size: number;
  sha256: string;
}

/** Bounds of a data form sent with files (a console form whose schema has a file's hash). */
export interface FormUploadLimits {
  /** Per file (the API's attachment limit, src/api/comments.ts). */
  maxFileBytes: number;
  /** Files per submission. */
  maxFiles: number;
}

/** A data form's multipart body: its fields, its files by field name (hashed), and `_csrf`. */
export interface MultipartForm {
  fields: Record<string, string>;
  files: Record<string, HashedFile>;
  csrf?: string;
}

/** The form's fields besides the files: as many and as long as the console's urlencoded forms may be. */
const FORM_FIELDS = 10_000;
const FORM_FIELD_BYTES = 64 * 1024;
const FORM_TEXT_BYTES = 2 * 1024 * 1024;

/**
 * Reads a data form sent as multipart/form-data. Each file is hashed chunk by chunk as it arrives
 * (SHA-256, never buffered whole nor stored: the data keeps only its hash), so a large file is many
 * small steps on the event loop. The body is bounded: `limits.maxFiles` files of at most
 * `limits.maxFileBytes` each, the fields as the urlencoded forms' limits, and nothing beyond them
 * in all; going over a limit stops reading and rejects with a 413, a reserved field name with a
 * 422, a malformed body with a 400. An empty file input (no file chosen) is no file.
 */
export function readMultipartForm(req: Request, limits: FormUploadLimits): Promise<MultipartForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers, defParamCharset: 'utf8',
        limits: { files: limits.maxFiles, fileSize: limits.maxFileBytes, fields: FORM_FIELDS, fieldSize: FORM_FIELD_BYTES, parts: FORM_FIELDS + limits.maxFiles },
      });
    } catch (err) {
      reject(badRequest(`The multipart body cannot be read: ${(err as Error).message}`));
      return;
    }
    const fields: Record<string, string> = Object.create(null) as Record<string, string>;
    const files: Record<string, HashedFile> = Object.create(null) as Record<string, HashedFile>;
    const pending: Array<Promise<void>> = [];
    let settled = false;
    const stop = (err: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      parser.removeAllListeners();
      parser.on('error', () => undefined);
      req.resume();
      reject(err);
    };
    const maxBody = limits.maxFiles * limits.maxFileBytes + FORM_TEXT_BYTES + MULTIPART_OVERHEAD_BYTES;
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
      if (bodyBytes > maxBody) stop(payloadTooLarge(`A form with files may be at most ${maxBody} bytes`));
    });
    const refuseName = (name: string) => {
      const reserved = reservedNameProblems([name]);
      if (reserved.length) stop(reservedKey(reserved));
      else if (name.includes('\u0000')) stop(badRequest('NUL characters in the form', [{ path: '/', message: 'must not contain NUL characters' }]));
      return reserved.length > 0 || name.includes('\u0000');
    };
    let textBytes = 0;
    parser.on('field', (name, value, info) => {
      if (refuseName(name)) return;
      if (info.valueTruncated) return stop(payloadTooLarge(`The form field ${name.slice(0, 100)} is longer than ${FORM_FIELD_BYTES} bytes`));
      textBytes += name.length + value.length;
      if (textBytes > FORM_TEXT_BYTES) return stop(payloadTooLarge(`The form's fields may be at most ${FORM_TEXT_BYTES} bytes`));
      if (value.includes('\u0000')) return stop(badRequest('NUL characters in the form', [{ path: '/', message: 'must not contain NUL characters' }]));
      fields[name] = value;
    });
    parser.on('file', (name, stream, info) => {
      if (refuseName(name)) {
        stream.resume();
        return;
      }
      const hash = crypto.createHash('sha256');
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        hash.update(chunk);
      });
      stream.on('limit', () => stop(payloadTooLarge(`Each file may be at most ${limits.maxFileBytes / 1024 / 1024} MB`)));
      pending.push(new Promise<void>((done) => {
        stream.on('close', () => {
          // No file chosen: the browser sends the part with an empty name and no bytes.
          if (size > 0 || info.filename) files[name] = { filename: (info.filename ?? '').slice(0, 300), size, sha256: hash.digest('hex') };
          done();
        });
      }));
    });
    parser.on('filesLimit', () => stop(payloadTooLarge(`At most ${limits.maxFiles} files per form`)));
    parser.on('fieldsLimit', () => stop(payloadTooLarge('The form has too many fields')));
    parser.on('partsLimit', () => stop(payloadTooLarge('The form has too many parts')));
    parser.on('error', (err: Error) => stop(badRequest(`The multipart body is malformed: ${err.message}`)));
    parser.on('close', () => {
      void Promise.all(pending).then(() => {
        if (settled) return;
        settled = true;
        const { _csrf: csrf, ...rest } = fields;
        resolve({ fields: rest, files, csrf });
      });
    });
    req.pipe(parser);
  });
}
