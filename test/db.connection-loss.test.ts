import net from 'node:net';
import { sql } from 'kysely';
import { openPostgres } from '../src/db/connect';
import { isConnectionError } from '../src/db/sqlstate';
import { createTestDb, describePostgres } from './support/db';

/** A port on 127.0.0.1 nothing listens on (taken and released again). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describePostgres('database connection loss', () => {
  test('a connection cut inside a transaction fails that transaction as a connection error, without ending the process, and the pool serves again', async () => {
    const db = await createTestDb('postgres');
    const lost: Error[] = [];
    const pool = openPostgres({ connectionString: db.url!, max: 2, onConnectionError: (err) => lost.push(err) });
    try {
      const failed = await pool.kysely
        .transaction()
        .execute(async (trx) => {
          const { pid } = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(trx)).rows[0]!;
          // Cut from outside while the transaction holds its connection between two queries: the
          // server's FATAL arrives as an 'error' event on the checked-out client.
          await sql`SELECT pg_terminate_backend(${pid})`.execute(db.kysely);
          for (let i = 0; i < 200 && lost.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
          await sql`SELECT 1`.execute(trx);
        })
        .then(() => undefined, (err: unknown) => err);
      expect(lost.length).toBeGreaterThan(0);
      expect(failed).toBeInstanceOf(Error);
      expect({ message: (failed as Error).message, connection: isConnectionError(failed) }).toEqual({ message: (failed as Error).message, connection: true });
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(pool.kysely)).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.close();
      await db.close();
    }
  });

  test('no server to connect to is a connection error; a refused statement is not', async () => {
    const nowhere = openPostgres({ connectionString: `postgres://postgres@127.0.0.1:${await closedPort()}/postgres`, max: 1 });
    const db = await createTestDb('postgres');
    try {
      const refused = await sql`SELECT 1`.execute(nowhere.kysely).then(() => undefined, (err: unknown) => err);
      expect(isConnectionError(refused)).toBe(true);
      expect(isConnectionError(new Error('wrapped', { cause: refused }))).toBe(true);
      const invalid = await sql`SELECT 1/0`.execute(db.kysely).then(() => undefined, (err: unknown) => err);
      expect(isConnectionError(invalid)).toBe(false);
    } finally {
      await nowhere.close();
      await db.close();
    }
  });
});
