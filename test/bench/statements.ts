import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fiscalYearOf } from '../../src/seed/demo';
import { dinkesProposal } from '../../workflows/budget-proposal/demo';
import { createDrafts } from './b1-transitions';
import { Client } from './load';
import { createDatabase, DEFAULT_SERVER, dropDatabase, randomName, urlOf } from './pg';
import { grms, serve, stopAllServers, token } from './server';

/**
 * `node dist/test/bench/statements.js [N]`: the statements one `update` transition sends to
 * PostgreSQL through the API, authentication included, counted by count-queries.ts in a server
 * of one process (GRMS_WORKERS=1) on a fresh demo database; then the same for the document
 * transitions of benchmark 2 (`submit` by the planner and `return` by the OPD head, in turn, each
 * with a signed PDF). N transitions of each (default 20) are fired one after another after a
 * warm-up; the count is divided by N and each statement's text is listed with how many times it
 * was sent per transition. Deterministic: no timing is measured.
 * DATABASE_URL names the server (its database is not used); default the local one.
 */
async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 20);
  const serverUrl = process.env.DATABASE_URL ? urlOf(process.env.DATABASE_URL, 'postgres') : DEFAULT_SERVER;
  const name = randomName('grms_bench_statements');
  const dbUrl = await createDatabase(serverUrl, name);
  const logFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'grms-statements-')), 'statements.log');
  try {
    const env = { DATABASE_URL: dbUrl, GRMS_KEY: crypto.randomBytes(32).toString('base64'), GRMS_WORKERS: '1', GRMS_DOCUMENT_THREADS: '1' };
    await grms(['seed', '--demo'], env);
    const planner = await token(env, 'perencana.dinkes');
    const head = await token(env, 'kadis.dinkes');
    const served = await serve({ ...env, GRMS_BENCH_STATEMENT_LOG: logFile }, { nodeArgs: ['--require', path.join(__dirname, 'count-queries.js')] });
    const client = new Client(served.url, 2);
    try {
      const year = fiscalYearOf(new Date());
      const [id] = await createDrafts(client, planner, 1, 'Statements');
      const count = async (label: string, fire: (i: number) => Promise<unknown>) => {
        for (let i = 0; i < 4; i++) await fire(i);
        const before = (await served.statements())!;
        fs.writeFileSync(logFile, '');
        for (let i = 0; i < n; i++) await fire(100 + i);
        const after = (await served.statements())!;
        const texts = fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => l.slice(l.indexOf(' ') + 1));
        const counts = new Map<string, number>();
        for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
        process.stdout.write(`statements per ${label}: ${((after - before) / n).toFixed(2)} (${after - before} in ${n})\n`);
        for (const [t, c] of counts) process.stdout.write(`  ${(c / n).toFixed(2)}  ${t}\n`);
      };
      await count('update transition', (i) => client.expect(200, 'POST', `/api/v1/instances/${id}/events`, {
        token: planner, body: { type: 'update', data: dinkesProposal(year, `Statements ${i}`) },
      }));
      await count('document transition (submit / return in turn)', (i) => client.expect(200, 'POST', `/api/v1/instances/${id}/events`, i % 2 === 0
        ? { token: planner, body: { type: 'submit' } }
        : { token: head, body: { type: 'return', comment: 'Mohon dilengkapi rinciannya.' } }));
    } finally {
      client.close();
      await served.stop();
    }
  } finally {
    await stopAllServers();
    await dropDatabase(serverUrl, name);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
