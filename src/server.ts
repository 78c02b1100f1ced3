import http from 'node:http';
import type { Config } from './config';
import type { Logger } from './log';
import { openDeployment } from './runtime';
import { ensureCheckpointKey } from './audit/keys';
import { startCheckpointScheduler } from './audit/scheduler';
import { startDeadlineScheduler } from './sla/scheduler';
import { createApp } from './api/app';
import { DEMO_USERNAMES, seedDemo } from './seed/demo';
import { mintToken } from './auth/tokens';
import { generatePassword, setPassword } from './auth/passwords';
import { wireEngine, type Wired } from './wiring';

/** How often each server looks for deadlines that fell due. */
const DEADLINE_POLL_MS = 30_000;

/** Demo tokens printed by `npm start` expire after this many days. */
export const DEMO_TOKEN_DAYS = 30;

export interface RunningServer {
  url: string;
  server: http.Server;
  /** Demo users' fresh tokens (embedded default only). */
  tokens: Record<string, string>;
  /** Demo users' fresh console passwords (embedded default only). */
  passwords: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts `grms serve`: database, migrations, keys, demo data (embedded), HTTP, checkpoints. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const deployment = await openDeployment(config, { purpose: 'server', needsKey: true, poolSize: 20 });
  const { db } = deployment;
  let wired: Wired | undefined;
  try {
    const masterKey = deployment.masterKey!;
    const checkpointKey = await ensureCheckpointKey(db.kysely, masterKey);
    wired = await wireEngine(db.kysely, masterKey, config);
    const { engine, authority, reportPool, metrics } = wired;
    const tokens: Record<string, string> = {};
    const passwords: Record<string, string> = {};
    if (deployment.embedded) {
      const seeded = await seedDemo(db.kysely, engine);
      if (seeded.created) logger.info('loaded the demo data set into the new embedded database');
      // Tokens are stored hashed, so each start mints new ones for the demo users.
      for (const username of DEMO_USERNAMES) {
        const exists = await db.kysely.selectFrom('users').select('username').where('username', '=', username).where('active', '=', true).executeTakeFirst();
        if (exists) tokens[username] = await mintToken(db.kysely, username, new Date(Date.now() + DEMO_TOKEN_DAYS * 86_400_000));
      }
      // Likewise console passwords: only hashes are stored, so each start sets and prints new ones.
      const fresh = await Promise.all(Object.keys(tokens).map(async (username) => {
        const password = generatePassword();
        await setPassword(db.kysely, 'system', username, password);
        return [username, password] as const;
      }));
      for (const [username, password] of fresh) passwords[username] = password;
    }
    const app = createApp({ db: db.kysely, engine, checkpointKey, authority, pool: reportPool, metrics, timezone: config.timezone, logger,
      ocds: { ocidPrefix: config.ocidPrefix, publicUrl: config.publicUrl, government: config.government }, secureCookies: config.publicUrl.startsWith('https:') });
    const server = http.createServer(app);
    // Longer than common proxies' idle timeouts, so a kept-alive connection is closed by the client side first.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
    const stopCheckpoints = startCheckpointScheduler(db.kysely, checkpointKey, config.checkpointIntervalMs, (err) =>
      logger.error({ err }, 'audit checkpoint failed'),
    );
    // Deadlines live in the database; any number of processes may run this, each fires a deadline once.
    const stopDeadlines = startDeadlineScheduler(db.kysely, DEADLINE_POLL_MS, () => new Date(), (err) =>
      logger.error({ err }, 'deadline escalation failed'),
    );
    let stopped = false;
    return {
      url,
      server,
      tokens,
      passwords,
      async stop() {
        if (stopped) return;
        stopped = true;
        await Promise.all([stopCheckpoints(), stopDeadlines()]);
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await wired?.close();
        await deployment.close();
      },
    };
  } catch (err) {
    await wired?.close();
    await deployment.close();
    throw err;
  }
}
