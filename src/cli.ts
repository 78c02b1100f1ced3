#!/usr/bin/env node
import cluster from 'node:cluster';
import { stopOnSignals } from './cli/shutdown';
import { runWorker } from './cluster/worker';
import { startPrimary } from './cluster/primary';
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
import { registerOrgCommands } from './cli/org';
import { registerNomenclatureCommands } from './cli/nomenclature';
import { registerWorkflowCommands } from './cli/workflow';
import { loadRegistry } from './engine/registry';
import { registerWitnessCommands } from './cli/witness';
import { registerVerifyBundle } from './cli/verify-bundle';
import { generateTokenKey, tokenKeyName } from './documents/pkcs11';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { verifyTransparencyLog, checkpointFromFile } from './audit/log/verify-log';
import { isVerifierKey, LogTrustMissing, policyFromOptions } from './audit/evidence/trust';
import { witnessCheckpoints } from './audit/log/witness-view';
import type { Policy } from './audit/tlog';
import { sql } from 'kysely';
import { logVerifierKey, newEd25519Key } from './audit/tlog';
import { addCheckpoint } from './audit/witness/client';
import { integrateAndCheckpoint, logPolicy, openTransparencyLog, UNWITNESSED } from './audit/log/service';
import { startPackages } from './engine/registry';
import { roundJson } from './api/log';

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

const collect = (value: string, previous: string[] = []) => [...previous, value];

const program = new Command();
program.name('grms').description('Workflow engine for regional government: budget proposals with a tamper-evident audit trail');

program
  .command('serve')
  .description('start the HTTP API (embedded database in ./data unless DATABASE_URL is set)')
  .action(async () => {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    // The embedded database is one process's: several workers need PostgreSQL.
    const workers = config.databaseUrl ? config.workers : 1;
    if (cluster.isWorker) return runWorker(config, workers, logger);
    if (!config.databaseUrl && config.workers > 1) logger.info({ workers: 1 }, 'serving from one process: the embedded database (PGlite) is single-process (GRMS_WORKERS applies with DATABASE_URL)');
    const steps = startupProgress();
    const listening = (url: string, metricsUrl: string | undefined) => {
      const metrics = `${metricsUrl ?? `${url}/metrics`}${config.metricsToken ? ' (bearer token required)' : ''}`;
      const witnessed = config.log.witnesses.length ? `witnessed by ${config.log.witnesses.map((w) => w.name).join(', ')}` : UNWITNESSED;
      const processes = workers > 1 ? `\n  processes: ${workers} workers sharing the port (GRMS_WORKERS)` : '';
      process.stdout.write(`grms is listening on ${url}\n  database: ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`}\n  metrics: ${metrics}\n  transparency log: ${config.log.origin}; ${witnessed}${processes}\n`);
    };
    if (workers > 1) {
      steps.step(`starting ${workers} worker processes`);
      const primary = await startPrimary(config, logger, workers);
      steps.finish();
      listening(primary.url, primary.metricsUrl);
      steps.done('started');
      stopOnSignals(logger, 'grms', () => primary.stop());
      return;
    }
    const running = await startServer(config, logger, steps.step);
    // The address first: the server answers from now on; the demo sign-ins follow once made.
    steps.finish();
    listening(running.url, running.metricsUrl);
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
    stopOnSignals(logger, 'grms', () => running.stop());
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

// Roles come from the workflow packages (built-in and GRMS_WORKFLOW_PATH's): load them before a grant names one.
registerUserCommands(program, async (purpose, needsKey, fn) => {
  await loadRegistry(loadConfig().workflowPath);
  return withDeployment(purpose, needsKey, fn);
});
registerOrgCommands(program, withDeployment);
registerNomenclatureCommands(program, withDeployment);
registerWorkflowCommands(program);
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
  .description('print the checkpoint (log) public key, its fingerprint and the transparency log\'s C2SP verifier key (named by GRMS_LOG_ORIGIN), to hand to auditors and witnesses (needs GRMS_KEY: the key is derived from the private half)')
  .action(async () => {
    await withDeployment('cli:key-show', true, async ({ db, masterKey }) => {
      const checkpointKey = await ensureCheckpointKey(db.kysely, masterKey!);
      const k = describeLogKey(checkpointKey.publicKeyPem);
      const vkey = logVerifierKey(loadConfig().log.origin, crypto.createPublicKey(checkpointKey.privateKey));
      process.stdout.write(`${k.publicKeyPem}base64:      ${k.base64}\nfingerprint: SHA-256 ${k.fingerprint}\nkey id:      ${k.keyId}\nlog vkey:    ${vkey}\n`);
    });
  });

key
  .command('generate-in-token')
  .description('generate the seal\'s RSA key pair inside the PKCS#11 token GRMS_PKCS11_* names (sensitive, not extractable: the private key never leaves the token); prints the SHA-256 of its public key')
  .option('--bits <bits>', 'RSA key size, 2048 to 4096', '3072')
  .action(async (opts: { bits: string }) => {
    const ref = loadConfig().pkcs11;
    if (!ref) throw new Error('set GRMS_PKCS11_MODULE, GRMS_PKCS11_TOKEN_LABEL (or _SLOT), GRMS_PKCS11_PIN and GRMS_PKCS11_KEY_LABEL (and/or _KEY_ID) first');
    const publicKey = await generateTokenKey(ref, Number(opts.bits));
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    process.stdout.write(`generated ${tokenKeyName(ref)} (RSA ${opts.bits})\npublic key SHA-256: ${crypto.createHash('sha256').update(spki).digest('hex')}\n`);
  });

const audit = program.command('audit').description('the tamper-evident audit trail');
audit
  .command('verify')
  .description('recompute every hash chain, check the transparency log and every checkpoint against the keys you pin (or check an exported file); exits 1 when anything fails to verify, 2 without --log-key or --policy')
  .option('--file <file>', 'check an export made by `audit export`, without the database')
  .option('--log-key <key>', 'the log key to trust: its verifier key (name+id+key, from `grms key show`), or the PEM/base64 public key; a file holding either; never taken from the database or the file')
  .option('--public-key <key>', 'the same as --log-key (older name)')
  .option('--witness-key <vkey>', 'a witness verifier key (or a file) whose cosignature you require; repeat for each witness', collect, [])
  .option('--quorum <n>', 'how many of the given witnesses must have cosigned the latest checkpoint: a number, any or all', 'all')
  .option('--policy <file>', 'a C2SP tlog-policy file (log key, witnesses, quorum) instead of --log-key/--witness-key/--quorum')
  .option('--known-checkpoint <file>', 'a checkpoint you kept (a checkpoint, an evidence bundle or a tlog proof): this database must still hold its tree; repeat for each', collect, [])
  .option('--ask-witnesses', 'also fetch each policy witness\'s latest cosigned checkpoint (witnesses with a URL in --policy) and require this database to hold its tree')
  .option('--allow-unchecked-tail', 'accept rows that no checkpoint covers when there is no checkpoint at all')
  .action(async (opts: {
    file?: string; logKey?: string; publicKey?: string; witnessKey: string[]; quorum: string; policy?: string; knownCheckpoint: string[];
    askWitnesses?: boolean; allowUncheckedTail?: boolean;
  }) => {
    let publicKeyPem: string;
    let policy: Policy;
    try {
      const given = opts.logKey ?? opts.publicKey;
      if (opts.policy || isVerifierKey(given)) {
        policy = policyFromOptions({ logKey: given, witnessKey: opts.witnessKey, quorum: opts.quorum, policy: opts.policy });
        publicKeyPem = policy.logs[0]!.publicKey.export({ type: 'spki', format: 'pem' }).toString();
      } else {
        publicKeyPem = parseLogKey(given);
        // A bare key names no log: the deployment's configured origin names it (the key is what is pinned).
        const vkey = logVerifierKey(loadConfig().log.origin, crypto.createPublicKey(publicKeyPem));
        policy = policyFromOptions({ logKey: vkey, witnessKey: opts.witnessKey, quorum: opts.quorum });
      }
    } catch (err) {
      if (!(err instanceof LogKeyMissing) && !(err instanceof LogTrustMissing)) throw err;
      process.stderr.write(`grms: ${err.message} [${err.code}]\n`);
      process.exitCode = 2;
      return;
    }
    const allowUncheckedTail = Boolean(opts.allowUncheckedTail);
    if (opts.file) {
      const bar = progress('verify', undefined);
      // Version 3 files are proven against the log with the pinned policy; versions 1 and 2 against the audit key.
      const result = await verifyExportFile(opts.file, { publicKeyPem, policy, allowUncheckedTail, onProgress: (n) => bar.update(n) });
      const proven = result.log ? `, ${result.log.rowsProven} proven in the log checkpoint of ${result.log.size} leaves, ${result.log.leftOut ?? '?'} newer rows left out by the export` : '';
      bar.finish(`${result.checked} rows in ${result.chains} chains (${result.segments} checked as segments from their first row's prev_hash)${proven}, ${result.broken.length} broken`);
      for (const w of result.warnings) process.stderr.write(`grms: ${w}\n`);
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (!result.ok) process.exitCode = 1;
      return;
    }
    const known = opts.knownCheckpoint.map((f) => ({ from: f, note: checkpointFromFile(fs.readFileSync(f, 'utf8')) }));
    if (opts.askWitnesses) known.push(...(await witnessCheckpoints(policy)));
    await withDeployment('cli:audit-verify', false, async ({ db }) => {
      const total = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM audit_events`.execute(db.kysely)).rows[0]!.n);
      const bar = progress('verify', total);
      const chains = await verifyAudit(db.kysely, publicKeyPem, { onProgress: (n) => bar.update(n), requireCheckpoint: !allowUncheckedTail });
      const people = await verifyPeopleChain(db.kysely);
      const orgs = await verifyOrgChain(db.kysely);
      const log = await verifyTransparencyLog(db.kysely, policy, { known, requireCheckpoint: !allowUncheckedTail });
      const key = describeLogKey(publicKeyPem);
      const result = {
        ...chains, ok: chains.ok && people.ok && orgs.ok && log.ok, logKey: { fingerprint: key.fingerprint, keyId: key.keyId, verifierKey: policy.logs[0]!.text, source: 'given' },
        people, orgs, log,
      };
      bar.finish(`${chains.checked} rows (${chains.covered} covered by a checkpoint signed with the given key), ${chains.checkpoints} checkpoints, ${people.checked} people changes and ${orgs.checked} organisation changes checked, ${chains.broken.length + people.broken.length + orgs.broken.length} broken; log: ${log.leaves} leaves, ${log.checkpoints} checkpoints, ${log.problems.length + log.moreProblems} problems`);
      if (policy.witnesses.size === 0) process.stderr.write('grms: no witness keys given: the log is checked against the log key only, so its history is only as trustworthy as its operator\n');
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (!result.ok) process.exitCode = 1;
    });
  });
audit
  .command('export')
  .description('write the audit trail to a file (format grms-audit-export/3): rows up to the latest checkpoint the witness quorum cosigned, each with its leaf index and inclusion proof; newer rows are counted, not written')
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
    const config = loadConfig();
    await withDeployment('cli:audit-export', false, async ({ db }) => {
      // The export ends at the latest checkpoint the deployment's witness quorum cosigned; choosing
      // it needs the log's public key only (this command needs no GRMS_KEY). Without a deployment
      // key no checkpoint was ever signed: any key then selects none, and the export holds no rows.
      const key = await auditPublicKey(db.kysely);
      const publicKey = key ? crypto.createPublicKey(key.publicKeyPem) : newEd25519Key().publicKey;
      const policy = logPolicy(config.log, logVerifierKey(config.log.origin, publicKey));
      const total = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM audit_events`.execute(db.kysely)).rows[0]!.n);
      const bar = progress('export', total);
      const out = fs.createWriteStream(opts.out);
      const rows = await exportAudit(db.kysely, { write: (t) => out.write(t), drain: () => new Promise((r) => out.once('drain', r)) }, {
        format, filters, policy, timeZone: config.timezone, onProgress: (n) => bar.update(n),
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

const logCommand = program.command('log').description('the transparency log (Merkle tree of every record, signed checkpoints, witnesses)');
logCommand
  .command('checkpoint')
  .description('integrate committed rows into the log, sign a checkpoint when the tree grew and push it to the witnesses (GRMS_WITNESSES) now; exits 1 when the log must not be signed (rolled back, inconsistent, halted)')
  .action(async () => {
    const config = loadConfig();
    await withDeployment('cli:log-checkpoint', true, async ({ db, masterKey }) => {
      const checkpointKey = await ensureCheckpointKey(db.kysely, masterKey!);
      const log = openTransparencyLog(db.kysely, checkpointKey.privateKey, config.log, addCheckpoint);
      await startPackages(db.kysely, await loadRegistry(config.workflowPath));
      const round = await integrateAndCheckpoint(log);
      process.stdout.write(`${JSON.stringify(roundJson(round), null, 2)}\n`);
      if (log.witnesses.length === 0) process.stderr.write(`grms: ${UNWITNESSED}\n`);
      if (round.witnesses.some((w) => w.fatal)) process.exitCode = 1;
    });
  });

program.parseAsync(process.argv).catch(fail);
