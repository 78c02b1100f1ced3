#!/usr/bin/env node
import { workflowTime } from './clock';
import { Command } from 'commander';
import { loadConfig } from './config';
import { createLogger } from './log';
import { openDeployment } from './runtime';
import { startServer } from './server';
import { demoSignInTable, saveDemoSignIns, startupProgress } from './cli/startup';
import { generateKey } from './auth/secrets';
import { loadActor, mintToken, revokeToken, revokeUserTokens } from './auth/tokens';
import { seedDemo } from './seed/demo';
import { wireEngine } from './wiring';
import { auditPublicKey, ensureCheckpointKey } from './audit/keys';
import { createCheckpoint } from './audit/checkpoint';
import { verifyAudit } from './audit/verify';
import { verifyPeopleChain } from './auth/people';
import { verifyOrgChain } from './auth/orgs';
import { exportAudit } from './audit/export';
import { verifyExportFile } from './audit/verify-file';
import { describeLogKey, LogKeyMissing, parseLogKey } from './audit/log-key';
import { parseExportFilters } from './api/audit';
import { progress } from './progress';
import { registerUserCommands } from './cli/user';
import { registerWitnessCommands } from './cli/witness';
import { registerVerifyBundle } from './cli/verify-bundle';
import fs from 'node:fs';
import { sql } from 'kysely';

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
    const steps = startupProgress();
    const running = await startServer(config, logger, steps.step);
    // The address first: the server answers from now on; the demo sign-ins follow once made.
    const metrics = `${running.metricsUrl ?? `${running.url}/metrics`}${config.metricsToken ? ' (bearer token required)' : ''}`;
    steps.finish();
    process.stdout.write(`grms is listening on ${running.url}\n  database: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`}\n  metrics: ${metrics}\n`);
    if (!config.databaseUrl) steps.step('making the demo sign-ins');
    const credentials = await running.demoCredentials.catch(async (err: unknown) => {
      logger.error({ err }, 'could not make the demo sign-ins: stopping');
      await running.stop();
      process.exit(1);
    });
    steps.done('started');
    if (Object.keys(credentials).length) {
      // Printed once, and kept in a file of the owner's: the JSON log that follows scrolls the screen.
      const table = demoSignInTable(credentials, running.url);
      const file = saveDemoSignIns(config.dataDir, table);
      process.stdout.write(`${table}\n  demo sign-ins saved in ${file} (readable by you only)\n`);
    }
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
    await withDeployment('cli:seed', true, async ({ db, masterKey }) => {
      const wired = await wireEngine(db.kysely, masterKey!, loadConfig(), 1);
      const result = await seedDemo(db.kysely, wired.engine).finally(() => wired.close());
      process.stdout.write(result.created ? 'demo data loaded\n' : 'demo data already present; nothing changed\n');
    });
  });

program
  .command('token <args...>')
  .description('`token <username>`: print a new bearer token (nothing else on stdout); `token revoke <token>` or `token revoke --user <username>`')
  .option('--expires-in <days>', 'days until the new token expires', '90')
  .option('--user <username>', 'with revoke: every token of this user')
  .action(async (args: string[], opts: { expiresIn: string; user?: string }) => {
    await withDeployment('cli:token', false, async ({ db }) => {
      if (args[0] === 'revoke') {
        if (opts.user) {
          process.stdout.write(`revoked ${await revokeUserTokens(db.kysely, opts.user)} token(s) of ${opts.user}\n`);
        } else if (args[1]) {
          if (!(await revokeToken(db.kysely, args[1]))) throw new Error('no active token matches');
          process.stdout.write('revoked\n');
        } else throw new Error('say which token: `grms token revoke <token>` or `grms token revoke --user <username>`');
        return;
      }
      const [username] = args;
      const days = Number(opts.expiresIn);
      if (!Number.isFinite(days) || days <= 0) throw new Error('--expires-in takes a positive number of days');
      if (!(await loadActor(db.kysely, username!, workflowTime(loadConfig().timezone)))) throw new Error(`no active user "${username}"`);
      process.stdout.write(`${await mintToken(db.kysely, username!, new Date(Date.now() + days * 86_400_000))}\n`);
    });
  });

registerUserCommands(program, withDeployment);
registerWitnessCommands(program);
registerVerifyBundle(program);

const key = program.command('key').description('deployment secrets');
key
  .command('generate')
  .description('print a new GRMS_KEY (32 random bytes, base64)')
  .action(() => {
    process.stdout.write(`${generateKey()}\n`);
  });

key
  .command('show')
  .description('print the checkpoint (log) public key and its fingerprint, to hand to auditors (needs GRMS_KEY: the key is derived from the private half)')
  .action(async () => {
    await withDeployment('cli:key-show', true, async ({ db, masterKey }) => {
      const k = describeLogKey((await ensureCheckpointKey(db.kysely, masterKey!)).publicKeyPem);
      process.stdout.write(`${k.publicKeyPem}base64:      ${k.base64}\nfingerprint: SHA-256 ${k.fingerprint}\nkey id:      ${k.keyId}\n`);
    });
  });

const audit = program.command('audit').description('the tamper-evident audit trail');
audit
  .command('verify')
  .description('recompute every hash chain and check every checkpoint against the log key you pin (or check an exported file); exits 1 when anything fails to verify, 2 without --log-key')
  .option('--file <file>', 'check an export made by `audit export`, without the database')
  .option('--log-key <key>', 'the checkpoint public key to trust: a file, a PEM or base64 (from `grms key show` on the server); never taken from the database or the file')
  .option('--public-key <key>', 'the same as --log-key (older name)')
  .option('--allow-unchecked-tail', 'accept rows that no checkpoint covers when there is no checkpoint at all')
  .action(async (opts: { file?: string; logKey?: string; publicKey?: string; allowUncheckedTail?: boolean }) => {
    let publicKeyPem: string;
    try {
      publicKeyPem = parseLogKey(opts.logKey ?? opts.publicKey);
    } catch (err) {
      if (!(err instanceof LogKeyMissing)) throw err;
      process.stderr.write(`grms: ${err.message} [${err.code}]\n`);
      process.exitCode = 2;
      return;
    }
    const allowUncheckedTail = Boolean(opts.allowUncheckedTail);
    if (opts.file) {
      const bar = progress('verify', undefined);
      const result = await verifyExportFile(opts.file, { publicKeyPem, allowUncheckedTail, onProgress: (n) => bar.update(n) });
      bar.finish(`${result.checked} rows in ${result.chains} chains (${result.segments} checked as segments from their first row's prev_hash), ${result.broken.length} broken`);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (!result.ok) process.exitCode = 1;
      return;
    }
    await withDeployment('cli:audit-verify', false, async ({ db }) => {
      const total = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM audit_events`.execute(db.kysely)).rows[0]!.n);
      const bar = progress('verify', total);
      const chains = await verifyAudit(db.kysely, publicKeyPem, { onProgress: (n) => bar.update(n), requireCheckpoint: !allowUncheckedTail });
      const people = await verifyPeopleChain(db.kysely);
      const orgs = await verifyOrgChain(db.kysely);
      const key = describeLogKey(publicKeyPem);
      const result = { ...chains, ok: chains.ok && people.ok && orgs.ok, logKey: { fingerprint: key.fingerprint, keyId: key.keyId, source: 'given' }, people, orgs };
      bar.finish(`${chains.checked} rows (${chains.covered} covered by a checkpoint signed with the given key), ${chains.checkpoints} checkpoints, ${people.checked} people changes and ${orgs.checked} organisation changes checked, ${chains.broken.length + people.broken.length + orgs.broken.length} broken`);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (!result.ok) process.exitCode = 1;
    });
  });
audit
  .command('export')
  .description('write the audit trail (with hashes and the latest checkpoint) to a file')
  .requiredOption('--out <file>', 'where to write')
  .option('--format <format>', 'csv or jsonl', 'csv')
  .option('--from <time>').option('--to <time>').option('--workflow <name>').option('--org <id>').option('--actor <username>').option('--instance <id>')
  .action(async (opts: { out: string; format: string } & Record<string, string | undefined>) => {
    if (opts.format !== 'csv' && opts.format !== 'jsonl') throw new Error('--format must be csv or jsonl');
    const format = opts.format;
    let filters;
    try {
      filters = parseExportFilters(opts);
    } catch (err) {
      throw new Error(`${(err as Error).message}: ${JSON.stringify((err as { errors?: unknown }).errors)}`);
    }
    await withDeployment('cli:audit-export', false, async ({ db }) => {
      const key = await auditPublicKey(db.kysely);
      const total = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM audit_events`.execute(db.kysely)).rows[0]!.n);
      const bar = progress('export', total);
      const out = fs.createWriteStream(opts.out);
      const rows = await exportAudit(db.kysely, { write: (t) => out.write(t), drain: () => new Promise((r) => out.once('drain', r)) }, {
        format, filters, publicKeyPem: key?.publicKeyPem ?? null, onProgress: (n) => bar.update(n),
      });
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
      bar.finish(`${rows} rows written to ${opts.out}`);
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
