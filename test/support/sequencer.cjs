// Orders test files so the longest start first on a fresh clone (as in CI), where jest has no timings
// cached and falls back to file size: a long file started last leaves the other worker idle at the end.
// With timings cached (a second local run) jest's own order, which uses them, is kept.
const Sequencer = require('@jest/test-sequencer').default;
const path = require('node:path');

// Longest first, as measured in a full run (jest --json, 2026-12-08, on a loaded 2-core machine). Refresh when a file
// grows slow; files not named here follow in jest's order.
const SLOWEST = [
  'web.browser-axe', 'audit.tamper', 'web.browser-contrast', 'documents.verify-limits', 'two-processes', 'audit.chain',
  'clock.sweep', 'engine.restart', 'auth.access-agreement', 'api.procurement', 'api.permit-seed', 'web.browser-numbers',
  'audit.export', 'web.browser', 'documents.strict-validators', 'outage', 'cli.embedded', 'audit.pinned-keys',
  'web.english-words', 'workflow.external-package', 'web.matrix', 'cli.user', 'audit.checkpoint', 'web.browser-resubmit',
];

class SlowestFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    if (sorted.some((t) => t.duration != null)) return sorted;
    const rank = (t) => {
      const i = SLOWEST.indexOf(path.basename(t.path).replace(/\.test\.ts$/, ''));
      return i === -1 ? SLOWEST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep jest's file-size order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = SlowestFirst;
