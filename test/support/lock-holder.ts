/**
 * Child process for test/db.data-dir-lock.test.ts: tries to take the data-dir lock and reports
 * one JSON line on stdout. With "hold" it keeps the lock until its stdin closes (or it is killed).
 * Usage: lock-holder <dataDir> <purpose> <hold|exit> [startAtEpochMs]
 */
import { acquireDataDirLock, DataDirLocked } from '../../src/db/data-dir-lock';

const [dataDir, purpose, mode, startAt] = process.argv.slice(2);
if (!dataDir || !purpose || (mode !== 'hold' && mode !== 'exit')) {
  process.stderr.write('usage: lock-holder <dataDir> <purpose> <hold|exit> [startAtEpochMs]\n');
  process.exit(2);
}

// Racing children spin until a shared instant so their takeovers overlap as closely as possible.
if (startAt) while (Date.now() < Number(startAt));

try {
  const lock = acquireDataDirLock(dataDir, purpose);
  process.stdout.write(`${JSON.stringify({ result: 'acquired', pid: process.pid, tookOverFrom: lock.tookOverFrom?.pid ?? null })}\n`);
  if (mode === 'hold') {
    process.stdin.resume();
    process.stdin.on('end', () => {
      lock.release();
      process.exit(0);
    });
  }
} catch (err) {
  if (!(err instanceof DataDirLocked)) throw err;
  process.stdout.write(`${JSON.stringify({ result: 'locked', pid: process.pid, code: err.code, message: err.message, holder: err.holder?.pid ?? null })}\n`);
  if (mode === 'hold') process.stdin.resume().on('end', () => process.exit(0));
}
