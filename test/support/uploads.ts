import http from 'node:http';

export interface UploadFile {
  filename: string;
  bytes: Buffer;
  contentType?: string;
}

const BOUNDARY = '----grms-test-boundary-7d1f3c';
const CHUNK = 64 * 1024;

/** A multipart/form-data comment body: the `comment` field, then each file as `files`. */
export function multipartBody(comment: string, files: UploadFile[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="comment"\r\n\r\n${comment}\r\n`)];
  for (const f of files) {
    parts.push(
      Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="${f.filename}"\r\nContent-Type: ${f.contentType ?? 'application/octet-stream'}\r\n\r\n`),
      f.bytes,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

export interface UploadReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Whether the whole body had been sent when the answer came. */
  finishedSending: boolean;
}

/**
 * Posts a multipart comment body with node's own client, so a test sees an answer that comes
 * before the body was sent. With `stopAfter`, only that many bytes are sent (the declared length
 * is the whole body's) and the request stays open until the answer arrives. A server that closes
 * the connection after answering may make later writes fail: ignored once the answer is in.
 */
export function rawUpload(baseUrl: string, token: string, instanceId: string, body: Buffer, opts: { stopAfter?: number } = {}): Promise<UploadReply> {
  return new Promise((resolve, reject) => {
    let finishedSending = false;
    let answered = false;
    const req = http.request(`${baseUrl}/api/v1/instances/${instanceId}/comments`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(body.length) },
    });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: parsed, finishedSending });
        req.destroy();
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const limit = Math.min(opts.stopAfter ?? body.length, body.length);
    void (async () => {
      for (let at = 0; at < limit && !answered && !req.destroyed; at += CHUNK) {
        if (!req.write(body.subarray(at, Math.min(limit, at + CHUNK)))) {
          await new Promise<void>((done) => {
            req.once('drain', done);
            req.once('close', done);
          });
        }
      }
      if (limit === body.length && !answered && !req.destroyed) {
        req.end();
        finishedSending = true;
      }
    })();
  });
}
