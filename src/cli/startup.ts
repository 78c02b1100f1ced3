import fs from 'node:fs';
import path from 'node:path';
import { demoUsers } from '../seed/demo';
import type { DemoUser } from '../engine/package';
import { DEMO_TOKEN_DAYS, type DemoCredential } from '../seed/demo-credentials';

/** Called as start-up moves to its next step ("opening the embedded database …"). */
export type StartupStep = (label: string) => void;

/**
 * Start-up progress for the person at the terminal, on stderr (the log is JSON on stdout): each
 * step as it begins and how long it took; on a terminal, a counter that ticks while a step runs.
 */
export function startupProgress(stream: NodeJS.WriteStream = process.stderr): { step: StartupStep; finish(): void; done(summary: string): void } {
  const tty = Boolean(stream.isTTY);
  const began = Date.now();
  let current: { label: string; at: number } | undefined;
  let ticker: NodeJS.Timeout | undefined;
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const finish = () => {
    if (!current) return;
    clearInterval(ticker);
    const line = `grms: ${current.label}: ${secs(Date.now() - current.at)}`;
    stream.write(tty ? `\r${line}\x1b[K\n` : `${line}\n`);
    current = undefined;
  };
  return {
    finish,
    step(label) {
      finish();
      current = { label, at: Date.now() };
      if (tty) {
        const c = current;
        stream.write(`grms: ${label} …`);
        ticker = setInterval(() => stream.write(`\rgrms: ${c.label} … ${Math.floor((Date.now() - c.at) / 1000)} s\x1b[K`), 1000);
        ticker.unref();
      } else {
        stream.write(`grms: ${label} …\n`);
      }
    },
    done(summary) {
      finish();
      stream.write(`grms: ${summary} in ${secs(Date.now() - began)}\n`);
    },
  };
}

/** What the password column says for a user whose own password is kept. */
export const KEPT_PASSWORD = '(kept)';

/**
 * The demo sign-ins as a labelled table: user, role, console password, bearer token, one row per
 * user; `(kept)` where a password set otherwise is kept.
 */
export function demoSignInTable(credentials: Record<string, DemoCredential>, url: string, users: readonly DemoUser[] = demoUsers()): string {
  const roles = new Map(users.map((u) => [u.username, `${u.roles.join(', ')} (${u.org})`]));
  const rows = Object.entries(credentials).map(([user, c]) => [user, roles.get(user) ?? '', c.password ?? KEPT_PASSWORD, c.token]);
  const head = ['USER', 'ROLE (OPD)', 'CONSOLE PASSWORD', `BEARER TOKEN (${DEMO_TOKEN_DAYS} days)`];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `    ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('')}`;
  // The first printed user's token: a workflow user's, as the packages' users come first.
  const example = Object.values(credentials)[0]?.token ?? '<token>';
  return [
    '  Demo sign-ins, new at this start: the tokens the previous start printed are revoked, and so are demo passwords',
    `  it set (${KEPT_PASSWORD}: a password set otherwise is kept).`,
    line(head),
    ...rows.map(line),
    `  console: ${url}/signin`,
    `  try: curl -H "Authorization: Bearer ${example}" ${url}/api/v1/tasks`,
  ].join('\n');
}

/** Writes the table to `<dataDir>/demo-credentials.txt`, readable by its owner only; returns the path. */
export function saveDemoSignIns(dataDir: string, table: string): string {
  const file = path.resolve(dataDir, 'demo-credentials.txt');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Replaced whole, never left readable by others: written to a private temporary file, then renamed.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${table}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
  return file;
}
