import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../log';
import { GrmsError, PROBLEM_BASE, WitnessConflict, methodNotAllowed, notFound, payloadTooLarge } from '../../errors';
import { cosignatureKey } from '../tlog/cosignature';
import type { WitnessConfig } from './config';
import { loadWitnessKey } from './init';
import { MAX_BODY_BYTES } from './request';
import { WitnessStore } from './store';
import { Witness } from './witness';

export interface RunningWitness {
  /** The submission prefix as a URL: what a log puts in GRMS_WITNESSES. */
  url: string;
  cosignatureKey: string;
  close(): Promise<void>;
}

function sendProblem(res: http.ServerResponse, err: GrmsError, headers: http.OutgoingHttpHeaders = {}): void {
  const body = JSON.stringify({ type: `${PROBLEM_BASE}/${err.slug}`, title: err.title, status: err.status, detail: err.message, code: err.code });
  res.writeHead(err.status, { 'content-type': 'application/problem+json', ...headers });
  res.end(body);
}

/** The request body, refused (413) before reading when it declares more than `max` bytes, or once it passes it. */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  const tooLarge = () => payloadTooLarge(`An add-checkpoint body holds at most ${max} bytes`);
  const declared = Number(req.headers['content-length']);
  if (declared > max) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > max) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge());
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** Starts the witness's HTTP server: POST <prefix>/add-checkpoint and GET <prefix>/<origin hash>/checkpoint. */
export async function startWitness(config: WitnessConfig, logger: Logger): Promise<RunningWitness> {
  const key = loadWitnessKey(config.keyFile);
  if (key.looseMode) logger.warn({ file: config.keyFile }, 'the witness key file is readable by others than its owner: chmod 600 it');
  const store = WitnessStore.open(config.storage);
  const witness = new Witness(store, config.logs, { name: config.name, privateKey: key.privateKey }, logger);
  const addPath = `${config.prefix}/add-checkpoint`;
  const checkpointPath = new RegExp(`^${config.prefix.replace(/[.]/g, '\\.')}/([0-9a-f]{64})/checkpoint$`);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const pathname = new URL(req.url ?? '/', 'http://witness').pathname;
    if (pathname === addPath) {
      if (req.method !== 'POST') return sendProblem(res, methodNotAllowed('add-checkpoint takes POST'), { allow: 'POST' });
      let body: Buffer;
      try {
        body = await readBody(req, MAX_BODY_BYTES);
      } catch (err) {
        // The rest of the body is never read: the connection closes after the answer.
        if (err instanceof GrmsError) return sendProblem(res, err, { connection: 'close' });
        throw err;
      }
      try {
        const lines = await witness.addCheckpoint(body);
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(lines);
      } catch (err) {
        if (err instanceof WitnessConflict) {
          res.writeHead(409, { 'content-type': 'text/x.tlog.size' });
          res.end(`${err.cosignedSize}\n`);
        } else if (err instanceof GrmsError) sendProblem(res, err);
        else throw err;
      }
      return;
    }
    const hash = checkpointPath.exec(pathname)?.[1];
    if (hash && (req.method === 'GET' || req.method === 'HEAD')) {
      const checkpoint = witness.latestCheckpoint(hash);
      if (checkpoint === undefined) return sendProblem(res, notFound('This witness has cosigned no checkpoint of a log whose origin has that SHA-256'));
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : checkpoint);
      return;
    }
    sendProblem(res, notFound(`This witness answers POST ${addPath} and GET ${config.prefix}/<sha256 of origin>/checkpoint`));
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'witness request failed');
      if (!res.headersSent) sendProblem(res, new GrmsError('INTERNAL', 500, 'internal', 'Internal error', 'The witness could not answer; nothing was cosigned'));
      else res.destroy();
    });
  });
  // A slow client cannot hold a request open for long (a log sends a few kilobytes at once).
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => resolve());
    });
  } catch (err) {
    store.close();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}${config.prefix}`,
    cosignatureKey: cosignatureKey(config.name, key.publicKey),
    close: () => new Promise<void>((resolve, reject) => {
      server.close((err) => {
        store.close();
        if (err) reject(err);
        else resolve();
      });
      server.closeIdleConnections();
    }),
  };
}
