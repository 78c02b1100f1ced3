import net from 'node:net';
import crypto from 'node:crypto';
import { openPostgres } from '../src/db/connect';
import { createTestDb, describePostgres } from './support/db';
import { startTestApp, type TestApp } from './support/app';
import { documentedRoutes } from './support/routes';

/**
 * 503 DATABASE_UNAVAILABLE is documented on exactly the routes that touch the database: with the
 * database cut off, every documented route answers 503 (with Retry-After) where the document lists
 * it and its usual answer where it does not; the test client checks each answer against the
 * document. The outage is real: the app reaches PostgreSQL through a TCP relay that is then closed.
 */

/** A TCP relay to `target`; `cut()` closes it and every connection through it. */
async function relay(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    track(client);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    async cut() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describePostgres('the database out', () => {
  let app: TestApp;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const owner = await createTestDb('postgres');
    const url = new URL(owner.url!);
    const link = await relay({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(link.port);
    const db = { ...openPostgres({ connectionString: url.toString(), max: 4 }), url: url.toString() };
    app = await startTestApp('postgres', { db });
    await link.cut();
    close = async () => {
      await app.close();
      await db.close();
      await owner.close();
    };
  });
  afterAll(() => close());

  const PARAMS: Record<string, string> = { id: crypto.randomUUID(), username: 'admin', role: 'planner', org: 'dinkes', year: '2027', date: '2030-01-01', workflow: 'complaint' };
  const concrete = (template: string) => template.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'ca' ? app.authority.caKeyId : PARAMS[name]!));
  /** A request each route takes as far as its handler, were the database there. */
  const request = (method: string, template: string): [unknown, Record<string, string>?] => {
    if (template === '/api/v1/verify') return [Buffer.from('%PDF-1.4\n%%EOF\n'), { 'content-type': 'application/pdf' }];
    if (template === '/permits/status' && method === 'POST') return ['registrationNumber=REG%2FX%2F1&pin=12345678', { 'content-type': 'application/x-www-form-urlencoded' }];
    if (template === '/api/v1/orgs/{id}') return [{ name: 'x' }];
    if (template === '/api/v1/public/tracking/events') return [{ registrationNumber: 'ADU/2026/000001', pin: '12345678', type: 'confirm' }];
    if (method === 'GET' || method === 'DELETE') return [undefined];
    return [{ registrationNumber: 'REG/X/1', pin: '12345678', comment: 'x', name: 'x', amount: 1, password: 'x'.repeat(12) }];
  };

  test('every route that touches the database answers 503 DATABASE_UNAVAILABLE with Retry-After; the others answer as usual', async () => {
    const seen: Record<string, number> = {};
    for (const route of documentedRoutes()) {
      const [method, template] = route.split(' ') as [string, string];
      const path = template === '/permits/status' && method === 'GET' ? '/permits/status?registrationNumber=REG%2FX%2F1&pin=12345678' : concrete(template);
      const [body, headers] = request(method, template);
      // Through the test client: an answer the document does not allow fails here.
      const res = await app.call('admin', method, path, body, headers);
      seen[route] = res.status;
      const documented = (app.contract.document.paths[template][method.toLowerCase()].responses as Record<string, unknown>)['503'] !== undefined;
      if (documented) {
        expect([route, res.status, res.body?.code, res.headers.get('retry-after')]).toEqual([route, 503, 'DATABASE_UNAVAILABLE', '5']);
      } else {
        expect([route, res.status < 500]).toEqual([route, true]);
      }
    }
    // The routes without a database answer: liveness, this document, the keys and certificates.
    expect(Object.entries(seen).filter(([, status]) => status !== 503).map(([route]) => route).sort())
      .toEqual(['GET /api/v1/audit/public-key', 'GET /api/v1/ca.pem', 'GET /api/v1/tsa-ca.pem', 'GET /healthz', 'GET /openapi.json']);
  });
});
