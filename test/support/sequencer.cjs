// Orders test files so the longest start first on a fresh clone (as in CI), where jest has no timings
// cached and falls back to file size: a long file started last leaves the other worker idle at the end.
// With timings cached (a second local run) jest's own order, which uses them, is kept.
const Sequencer = require('@jest/test-sequencer').default;
const path = require('node:path');

// Longest first, as measured in a full run (seconds on a loaded 2-core machine). Refresh when a file
// grows slow; files not named here follow in jest's order.
const SLOWEST = [
  'web.matrix', 'cli.embedded', 'cli.user', 'documents.strict-validators', 'documents.identity',
  'auth.matrix', 'audit.log-dba', 'bad-input', 'api.ocds-publication', 'web.browser-resubmit', 'outage', 'sla.deadlines',
  'crash',
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
