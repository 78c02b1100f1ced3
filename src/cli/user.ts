import { workflowTime } from '../clock';
import { loadConfig } from '../config';
import readline from 'node:readline';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import type { Database } from '../db/types';
import type { Deployment } from '../runtime';
import { GrmsError, invalidData, notFound, type FieldProblem } from '../errors';
import { createUser, deactivateUser, grantRole, removeRole } from '../auth/people';
import { generatePassword, setPassword } from '../auth/passwords';
import { loadActor } from '../auth/tokens';
import { hasRole } from '../auth/roles';

/** How the CLI opens the deployment (and always closes it); given by src/cli.ts. */
export type WithDeployment = <T>(purpose: string, needsKey: boolean, fn: (d: Deployment) => Promise<T>) => Promise<T>;

/** Exit code for a refusal of what was asked (unknown user, weak password …), as opposed to a failure (1). */
export const EXIT_REFUSED = 2;

/** Runs a subcommand; a refusal prints its detail and failing fields on stderr and exits 2. */
export function refusalsExit2<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    try {
      await fn(...args);
    } catch (err) {
      if (!(err instanceof GrmsError)) throw err;
      const lines = [`grms: ${err.message} [${err.code}]`, ...(err.errors ?? []).map((e) => `  ${e.path}: ${e.message}`)];
      process.stderr.write(`${lines.join('\n')}\n`);
      process.exitCode = EXIT_REFUSED;
    }
  };
}

/** The people_events actor: an active admin named with --as, else `system`. */
export async function actorName(db: Kysely<Database>, as: string | undefined): Promise<string> {
  if (as === undefined) return 'system';
  const actor = await loadActor(db, as, workflowTime(loadConfig().timezone));
  if (!actor || !hasRole(actor, 'admin')) throw invalidData(`--as ${as}: not an active admin`, [{ path: '--as', message: 'must name an active admin' }]);
  return actor.username;
}

/** The first line of a piped stdin (without its line ending). */
function firstLineOfStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    let line: string | undefined;
    rl.once('line', (l) => {
      line = l;
      rl.close();
    });
    rl.once('close', () => {
      process.stdin.destroy();
      if (line === undefined) reject(invalidData('No password on stdin', [{ path: 'stdin', message: 'must hold the password on its first line' }]));
      else resolve(line);
    });
  });
}

/** Asks on the terminal without echoing what is typed (prompt on stderr; stdout stays clean). */
function askHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Raw (no echo) before the prompt shows, so nothing typed after seeing it is echoed.
  stdin.setRawMode(true);
  process.stderr.write(prompt);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          finish();
          reject(new Error('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) return firstLineOfStdin();
  const first = await askHidden('New password: ');
  const again = await askHidden('Again: ');
  if (first !== again) throw invalidData('The two passwords differ', [{ path: '/password', message: 'the two entries differ' }]);
  return first;
}

function parseGrants(items: string[]): Array<{ role: string; org: string }> {
  const problems: FieldProblem[] = [];
  const grants = items.map((item, i) => {
    const m = /^([^@\s]+)@([^@\s]+)$/.exec(item);
    if (!m) problems.push({ path: `/roles/${i}`, message: `"${item}" must be <role>@<org>` });
    return { role: m?.[1] ?? '', org: m?.[2] ?? '' };
  });
  if (problems.length) throw invalidData('A --role is not <role>@<org>', problems);
  return grants;
}

const collect = (value: string, previous: string[]) => [...previous, value];
export const AS_HELP = 'the active admin recorded as making the change (default: system)';

/** `grms user …`: people administration from the command line, recorded like the API's. */
export function registerUserCommands(program: Command, withDeployment: WithDeployment): void {
  const user = program.command('user').description('people: list, create, passwords, roles, deactivate (every change goes to the people chain)');

  user
    .command('list')
    .description('every user with their OPD, roles, whether a password is set, and whether active')
    .option('--json', 'as JSON')
    .action(refusalsExit2(async (opts: { json?: boolean }) => {
      await withDeployment('cli:user', false, async ({ db }) => {
        const users = await db.kysely.selectFrom('users').select(['username', 'full_name', 'org_id', 'active', 'password_must_change'])
          .select((eb) => eb('password_hash', 'is not', null).as('has_password')).orderBy('username').execute();
        const roles = await db.kysely.selectFrom('user_roles').selectAll().orderBy('role').orderBy('org_id').execute();
        const rows = users.map((u) => ({
          username: u.username, fullName: u.full_name, org: u.org_id, active: u.active, hasPassword: u.has_password,
          passwordMustChange: u.password_must_change, roles: roles.filter((g) => g.username === u.username).map((g) => `${g.role}@${g.org_id}`),
        }));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        const password = (r: (typeof rows)[number]) => (!r.hasPassword ? 'none' : r.passwordMustChange ? 'must change' : 'set');
        const table = [['username', 'org', 'password', 'status', 'roles'], ...rows.map((r) => [r.username, r.org, password(r), r.active ? 'active' : 'inactive', r.roles.join(',') || '-'])];
        const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
        process.stdout.write(table.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n') + '\n');
      });
    }));

  user
    .command('create <username>')
    .description('create a user (optionally with roles)')
    .requiredOption('--name <full name>', 'full name with titles, as printed on documents')
    .requiredOption('--org <org>', 'the OPD the user belongs to')
    .option('--position <position>', 'position (jabatan), as printed on documents')
    .option('--nip <nip>', 'NIP (18 digits), printed under the name on documents')
    .option('--role <role@org>', 'a role to grant at an OPD (repeatable)', collect, [])
    .option('--as <admin>', AS_HELP)
    .action(refusalsExit2(async (username: string, opts: { name: string; org: string; position?: string; nip?: string; role: string[]; as?: string }) => {
      const roles = parseGrants(opts.role);
      await withDeployment('cli:user', false, async ({ db }) => {
        await createUser(db.kysely, await actorName(db.kysely, opts.as), { username, fullName: opts.name, org: opts.org, position: opts.position, nip: opts.nip, roles });
        process.stdout.write(`created ${username}\n`);
      });
    }));

  user
    .command('set-password <username>')
    .description('set a password: one line from stdin when piped, asked twice on a terminal; --generate makes one and prints it once')
    .option('--generate', 'generate a password and print it (the only time it is shown)')
    .option('--as <admin>', AS_HELP)
    .action(refusalsExit2(async (username: string, opts: { generate?: boolean; as?: string }) => {
      const password = opts.generate ? generatePassword() : await readNewPassword();
      await withDeployment('cli:user', false, async ({ db }) => {
        await setPassword(db.kysely, await actorName(db.kysely, opts.as), username, password);
        process.stdout.write(opts.generate ? `${password}\n` : `password of ${username} set\n`);
      });
    }));

  user
    .command('reset-password <username>')
    .description('set a temporary password, printed once; the user must change it at next sign-in. Also ends all their console sessions and revokes all their API tokens')
    .option('--as <admin>', AS_HELP)
    .action(refusalsExit2(async (username: string, opts: { as?: string }) => {
      const password = generatePassword();
      await withDeployment('cli:user', false, async ({ db }) => {
        const ended = await setPassword(db.kysely, await actorName(db.kysely, opts.as), username, password, { mustChange: true, reset: true });
        process.stderr.write(`ended ${ended.endedSessions} console session(s) and revoked ${ended.revokedTokens} API token(s) of ${username}\n`);
        process.stderr.write(`temporary password of ${username} (to be changed at next sign-in):\n`);
        process.stdout.write(`${password}\n`);
      });
    }));

  user
    .command('grant <username> <role> <org>')
    .description('grant a role at an OPD')
    .option('--as <admin>', AS_HELP)
    .action(refusalsExit2(async (username: string, role: string, org: string, opts: { as?: string }) => {
      await withDeployment('cli:user', false, async ({ db }) => {
        const added = await grantRole(db.kysely, await actorName(db.kysely, opts.as), username, role, org);
        process.stdout.write(added ? `granted ${role} at ${org} to ${username}\n` : `${username} already holds ${role} at ${org}\n`);
      });
    }));

  user
    .command('revoke <username> <role> <org>')
    .description('remove a role held at an OPD')
    .option('--as <admin>', AS_HELP)
    .action(refusalsExit2(async (username: string, role: string, org: string, opts: { as?: string }) => {
      await withDeployment('cli:user', false, async ({ db }) => {
        await removeRole(db.kysely, await actorName(db.kysely, opts.as), username, role, org);
        process.stdout.write(`removed ${role} at ${org} from ${username}\n`);
      });
    }));

  user
    .command('deactivate <username>')
    .description('deactivate a user: tokens stop, the signing certificate is revoked (earlier signatures stay valid)')
    .option('--reason <text>', 'why (recorded in the people chain)')
    .option('--as <admin>', AS_HELP)
    .action(refusalsExit2(async (username: string, opts: { reason?: string; as?: string }) => {
      if (opts.reason !== undefined && opts.reason.length > 1000) throw invalidData('The reason is too long', [{ path: '--reason', message: 'must be at most 1000 characters' }]);
      await withDeployment('cli:user', false, async ({ db }) => {
        const exists = await db.kysely.selectFrom('users').select('active').where('username', '=', username).executeTakeFirst();
        if (!exists) throw notFound(`No user "${username}"`);
        if (!exists.active) {
          process.stdout.write(`${username} is already deactivated\n`);
          return;
        }
        const r = await deactivateUser(db.kysely, await actorName(db.kysely, opts.as), username, opts.reason);
        process.stdout.write(`deactivated ${username}: ${r.revokedTokens} token(s) and ${r.revokedCertificates.length} certificate(s) revoked\n`);
      });
    }));
}
