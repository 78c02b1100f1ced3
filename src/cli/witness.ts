import type { Command } from 'commander';
import { stopOnSignals } from './shutdown';
import { loadConfig } from '../config';
import { createLogger } from '../log';
import { CONFIG_FILE, parseListen, readWitnessConfig } from '../audit/witness/config';
import { initWitness, loadWitnessKey } from '../audit/witness/init';
import { startWitness } from '../audit/witness/server';
import { cosignatureKey } from '../audit/tlog/cosignature';

const collect = (value: string, previous: string[]) => [...previous, value];

/** `grms witness init|serve|show`: a witness for another institution's log (no database). */
export function registerWitnessCommands(program: Command): void {
  const witness = program.command('witness').description('run a witness that cosigns another deployment\'s log checkpoints (C2SP tlog-witness)');

  witness
    .command('init')
    .description(`make the witness key and ${CONFIG_FILE} in --dir (refuses if either exists); prints the cosignature verifier key on stdout`)
    .requiredOption('--dir <dir>', 'the witness folder')
    .requiredOption('--name <name>', 'the witness key name, a schema-less URL such as witness.inspektorat.example.go.id')
    .option('--log-key <vkey>', 'a log verifier key to cosign for (repeatable; the log operator prints it); may be added to the file later', collect, [])
    .option('--listen <host:port>', 'where `serve` listens', '127.0.0.1:7380')
    .option('--storage <path>', 'the witness\'s own state folder (relative to --dir)', 'state')
    .option('--prefix <path>', 'URL path before /add-checkpoint', '')
    .action((opts: { dir: string; name: string; logKey: string[]; listen: string; storage: string; prefix: string }) => {
      const made = initWitness({ dir: opts.dir, name: opts.name, logKeys: opts.logKey, listen: opts.listen, storage: opts.storage, prefix: opts.prefix });
      process.stderr.write(
        `witness key written to ${made.keyFile} (mode 0600; back it up, never share it)\nconfiguration written to ${made.configFile}` +
          `${opts.logKey.length ? '' : ' (add the log\'s verifier key to "logs" before serving)'}\n` +
          'cosignature verifier key (hand it to the log operator and to auditors), on stdout:\n',
      );
      process.stdout.write(`${made.cosignatureKey}\n`);
    });

  witness
    .command('show')
    .description('print the witness\'s cosignature verifier key')
    .requiredOption('--dir <dir>', 'the witness folder')
    .action((opts: { dir: string }) => {
      const config = readWitnessConfig(opts.dir);
      process.stdout.write(`${cosignatureKey(config.name, loadWitnessKey(config.keyFile).publicKey)}\n`);
    });

  witness
    .command('serve')
    .description(`serve POST <prefix>/add-checkpoint with the settings in <dir>/${CONFIG_FILE}`)
    .requiredOption('--dir <dir>', 'the witness folder')
    .option('--listen <host:port>', `overrides "listen" in ${CONFIG_FILE} (port 0: any free port)`)
    .action(async (opts: { dir: string; listen?: string }) => {
      const config = readWitnessConfig(opts.dir);
      if (opts.listen) config.listen = parseListen(opts.listen);
      const logger = createLogger(loadConfig().logLevel);
      const running = await startWitness(config, logger);
      process.stdout.write(
        `grms witness is listening on ${running.url}\n  name: ${config.name}\n  cosignature key: ${running.cosignatureKey}\n` +
          `  storage: ${config.storage}\n  logs: ${[...config.logs.values()].map((k) => k.text).join(', ')}\n`,
      );
      stopOnSignals(logger, 'witness', () => running.close());
    });
}
