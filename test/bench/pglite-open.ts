import { PGlite } from '@electric-sql/pglite';

/**
 * The cold-start baseline of benchmark 6, run as a process of its own: open an existing PGlite
 * data folder, answer one query (what /readyz asks), print "ready", close cleanly.
 */
async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: pglite-open <pgdata folder>');
  const pg = await PGlite.create({ dataDir: dir });
  await pg.query('SELECT 1');
  process.stdout.write('ready\n');
  await pg.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
});
