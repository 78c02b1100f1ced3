import net from 'node:net';
import { describeBackends } from './support/db';
import { startTestApp, writeCounts, type TestApp } from './support/app';

interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes fetch() would refuse to send, over a raw socket, and reads until the server closes. */
function rawRequest(url: string, request: string): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
    socket.write(request);
  });
}

describeBackends('requests refused by the HTTP parser', (kind) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(kind);
  });
  afterAll(async () => {
    await app.close();
  });

  const eventRequest = (header: string) =>
    `POST /api/v1/instances/00000000-0000-0000-0000-000000000000/events HTTP/1.1\r\nHost: grms\r\n` +
    `Authorization: Bearer ${app.tokens['perencana.dinkes']}\r\nContent-Type: application/json\r\n${header}\r\n` +
    'Content-Length: 16\r\n\r\n{"type":"submit"}';

  test.each([
    ['If-Match with a control character', 'If-Match: "1\x01"'],
    ['Idempotency-Key with an escape character', 'Idempotency-Key: abc\x1b[31mdef'],
    ['Idempotency-Key with a NUL', 'Idempotency-Key: abc\x00def'],
  ])('%s: a problem+json 400, the connection closed, nothing written, the server still serving', async (_name, header) => {
    const before = await writeCounts(app.db);
    const reply = await rawRequest(app.url, eventRequest(header));
    expect(reply.status).toBe(400);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reply.headers.connection).toBe('close');
    expect(Number(reply.headers['content-length'])).toBe(Buffer.byteLength(reply.body));
    expect(JSON.parse(reply.body)).toEqual({
      type: 'https://grms.dev/problems/bad-request', title: 'Bad request', status: 400, code: 'BAD_REQUEST',
      detail: expect.stringMatching(/^The request is not valid HTTP\/1\.1: Invalid header value char/),
    });
    expect(await writeCounts(app.db)).toEqual(before);
    expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);
    expect((await app.call('perencana.dinkes', 'GET', '/api/v1/me')).status).toBe(200);
  });

  test('headers larger than the parser takes: a problem+json 431, the server still serving', async () => {
    const reply = await rawRequest(app.url, `GET /healthz HTTP/1.1\r\nHost: grms\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(reply.status).toBe(431);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE', type: 'https://grms.dev/problems/headers-too-large' });
    expect((await app.call(undefined, 'GET', '/healthz')).status).toBe(200);
  });

  test('a malformed request line: a problem+json 400', async () => {
    const reply = await rawRequest(app.url, 'GET /healthz HTTP/9\x01\r\n\r\n');
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });
});
