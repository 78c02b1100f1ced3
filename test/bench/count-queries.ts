import fs from 'node:fs';
import pg from 'pg';

/**
 * Preloaded into benchmarked servers with --profile (`node --require …/count-queries.js`): counts
 * the statements the process sends to PostgreSQL (every pg Client.query call, which is what
 * Kysely's PostgresDialect uses) and prints its pid and the count to stderr on SIGUSR2 (each worker process of a server counts its own). A counter only: it
 * does not change what the server does.
 *
 * With GRMS_BENCH_STATEMENT_LOG=<file> it also keeps the text of each statement (whitespace
 * folded, cut at 160 characters) and appends those sent since the last SIGUSR2 to the file, one a
 * line, before printing the count (test/bench/statements.ts lists them).
 */
let statements = 0;
const logFile = process.env.GRMS_BENCH_STATEMENT_LOG;
let texts: string[] = [];
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
  statements++;
  if (logFile) {
    const q = args[0] as string | { text?: string } | undefined;
    const text = typeof q === 'string' ? q : q?.text ?? String(q);
    texts.push(text.replace(/\s+/g, ' ').trim().slice(0, 160));
  }
  return (original as (...a: unknown[]) => unknown).apply(this, args);
} as typeof original;
process.on('SIGUSR2', () => {
  if (logFile) {
    fs.appendFileSync(logFile, texts.map((t) => `${process.pid} ${t}\n`).join(''));
    texts = [];
  }
  process.stderr.write(`grms-bench-statements ${process.pid} ${statements}\n`);
});
