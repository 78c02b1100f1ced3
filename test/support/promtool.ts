import { spawnSync } from 'node:child_process';

/**
 * Prometheus's own linter (`promtool check metrics`), an independent reader of `/metrics`.
 * Missing, it skips loudly locally and fails under CI (CI=true). Debian: apt-get install -y prometheus
 */
export function promtoolInstalled(): boolean {
  const r = spawnSync('promtool', ['--version'], { stdio: 'ignore' });
  return !(r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT');
}

/** Declares the suite when promtool exists; otherwise a loud skip, or a failure under CI. */
export function describeWithPromtool(name: string, fn: () => void): void {
  if (promtoolInstalled()) {
    describe(name, fn);
    return;
  }
  const why = 'promtool not installed (apt-get install -y prometheus)';
  if (process.env.CI === 'true') {
    describe(name, () => {
      test('needs promtool', () => {
        throw new Error(`${why}; CI=true requires it`);
      });
    });
    return;
  }
  console.warn(`!! SKIPPED: "${name}" — ${why}; CI fails instead of skipping`);
}

/** promtool's verdict on an exposition: its exit status and its complaints (one a line). */
export function checkMetrics(exposition: string): { status: number | null; problems: string } {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status, problems: `${r.stdout}${r.stderr}`.trim() };
}
