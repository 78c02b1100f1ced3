import type { Request } from 'express';
import busboy from 'busboy';
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

