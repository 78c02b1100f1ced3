import { Command } from 'commander';
import { loadConfig } from './config';
import { createLogger } from './log';
import { openDeployment } from './runtime';
import { startServer } from './server';
import { generateKey } from './auth/secrets';
import { loadActor, mintToken } from './auth/tokens';
import { defaultRegistry } from './engine/registry';
import { Engine } from './engine/engine';
import { seedDemo } from './seed/demo';
import { auditPublicKey, ensureCheckpointKey } from './audit/keys';
import { createCheckpoint } from './audit/checkpoint';
import { verifyAudit } from './audit/verify';

/** Prints a one-line error and sets a failing exit code; stack traces only with GRMS_DEBUG. */
function fail(err: unknown): void {
  const e = err as Error & { code?: string };
  process.stderr.write(`grms: ${e.message}${e.code ? ` [${e.code}]` : ''}\n`);
  if (process.env.GRMS_DEBUG) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
}

/** Runs `fn` on an opened deployment and always closes it (and its data-folder lock). */
async function withDeployment<T>(purpose: string, needsKey: boolean, fn: (d: Awaited<ReturnType<typeof openDeployment>>) => Promise<T>): Promise<T> {
  const deployment = await openDeployment(loadConfig(), { purpose, needsKey, poolSize: 2 });
  try {
    return await fn(deployment);
  } finally {
    await deployment.close();
  }
}

const program = new Command();
program.name('grms').description('Workflow engine for regional government: budget proposals with a tamper-evident audit trail');

program
  .command('serve')
  .description('start the HTTP API (embedded database in ./data unless DATABASE_URL is set)')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    const running = await startServer(config, logger);
    const lines = [`grms is listening on ${running.url}`, `  database: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`}`];
    if (Object.keys(running.tokens).length) {
      lines.push('  demo users (new bearer tokens, valid until revoked):');
      for (const [user, token] of Object.entries(running.tokens)) lines.push(`    ${user.padEnd(22)} ${token}`);
      lines.push(`  try: curl -H "Authorization: Bearer ${running.tokens['perencana.dinkes'] ?? '<token>'}" ${running.url}/api/v1/tasks`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    const shutdown = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      running.stop().then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });

program
  .command('migrate')
  .description('apply pending SQL migrations')
  .action(async () => {
    // openDeployment migrates; report what the database now has.
    await withDeployment('cli:migrate', false, async () => {
      process.stdout.write('migrations are up to date\n');
    });
  });

program
  .command('seed')
  .description('load a data set')
  .option('--demo', 'the demo regency: OPDs, users for every role, ceilings and proposals')
  .action(async (opts: { demo?: boolean }) => {
    if (!opts.demo) throw new Error('say which data set: --demo');
    await withDeployment('cli:seed', true, async ({ db }) => {
      const result = await seedDemo(db.kysely, new Engine({ db: db.kysely, registry: defaultRegistry() }));
      process.stdout.write(result.created ? 'demo data loaded\n' : 'demo data already present; nothing changed\n');
    });
  });

program
  .command('token <username>')
  .description('print a new bearer token for a user (nothing else on stdout)')
  .action(async (username: string) => {
    await withDeployment('cli:token', false, async ({ db }) => {
      if (!(await loadActor(db.kysely, username))) throw new Error(`no active user "${username}"`);
      process.stdout.write(`${await mintToken(db.kysely, username)}\n`);
    });
  });

const key = program.command('key').description('deployment secrets');
key
  .command('generate')
  .description('print a new GRMS_KEY (32 random bytes, base64)')
  .action(() => {
    process.stdout.write(`${generateKey()}\n`);
  });

const audit = program.command('audit').description('the tamper-evident audit trail');
audit
  .command('verify')
  .description('recompute every hash chain and checkpoint; exits 1 when anything fails to verify')
  .action(async () => {
    await withDeployment('cli:audit-verify', false, async ({ db }) => {
      const key = await auditPublicKey(db.kysely);
      if (!key) throw new Error('this database has no audit key yet: start the server once');
      const result = await verifyAudit(db.kysely, key.publicKeyPem);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (!result.ok) process.exitCode = 1;
    });
  });
audit
  .command('checkpoint')
  .description('record a signed checkpoint of every chain head now')
  .action(async () => {
    await withDeployment('cli:audit-checkpoint', true, async ({ db, masterKey }) => {
      const cp = await createCheckpoint(db.kysely, await ensureCheckpointKey(db.kysely, masterKey!));
      process.stdout.write(`${JSON.stringify(cp, null, 2)}\n`);
    });
  });

program.parseAsync(process.argv).catch(fail);
