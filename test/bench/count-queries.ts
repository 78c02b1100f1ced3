import pg from 'pg';

/**
 * Preloaded into benchmarked servers with --profile (`node --require …/count-queries.js`): counts
 * the statements the process sends to PostgreSQL (every pg Client.query call, which is what
 * Kysely's PostgresDialect uses) and prints its pid and the count to stderr on SIGUSR2 (each worker process of a server counts its own). A counter only: it
 * does not change what the server does.
 */
let statements = 0;
const original = pg.Client.prototype.query;
pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
  statements++;
  return (original as (...a: unknown[]) => unknown).apply(this, args);
} as typeof original;
process.on('SIGUSR2', () => {
  process.stderr.write(`grms-bench-statements ${process.pid} ${statements}\n`);
});
