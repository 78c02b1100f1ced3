/** Progress on stderr for long CLI commands: a bar on a terminal, plain lines otherwise. */
export interface Progress {
  update(done: number): void;
  finish(summary: string): void;
}

export function progress(label: string, total: number | undefined, stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = Boolean(stream.isTTY);
  let lastLine = 0;
  const render = (done: number) => {
    if (tty) {
      const width = 30;
      const frac = total ? Math.min(1, done / total) : 0;
      const bar = total ? `[${'#'.repeat(Math.round(frac * width)).padEnd(width, '.')}] ${Math.floor(frac * 100)}%` : '';
      stream.write(`\r${label} ${bar} ${done.toLocaleString('en')}${total ? `/${total.toLocaleString('en')}` : ''} rows`);
    } else if (Date.now() - lastLine > 2000) {
      lastLine = Date.now();
      stream.write(`${label}: ${done}${total ? ` of ${total}` : ''} rows\n`);
    }
  };
  return {
    update: render,
    finish(summary) {
      stream.write(`${tty ? '\r\x1b[K' : ''}${label}: ${summary}\n`);
    },
  };
}
