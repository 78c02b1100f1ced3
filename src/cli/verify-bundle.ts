import fs from 'node:fs';
import type { Command } from 'commander';
import { verifyBundle } from '../audit/evidence/bundle';
import { policyFromOptions } from '../audit/evidence/trust';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `grms verify-bundle`: checks a document's evidence bundle offline, with no server and no database. */
export function registerVerifyBundle(program: Command): void {
  program
    .command('verify-bundle <file>')
    .description('check an evidence bundle (and the PDF, if given) against the log and witness keys you pin; no server or database needed. Exits 1 when a check fails, 2 without keys')
    .option('--pdf <file>', 'the signed PDF the bundle is about')
    .option('--log-key <vkey>', 'the log verifier key (or a file holding it), from `grms key show` on the server')
    .option('--witness-key <vkey>', 'a witness verifier key (or a file); repeat for each witness', collect, [])
    .option('--quorum <n>', 'how many of the given witnesses must have cosigned: a number, any or all', 'all')
    .option('--policy <file>', 'a C2SP tlog-policy file instead of --log-key/--witness-key/--quorum')
    .option('--json', 'print the verdict as JSON')
    .action((file: string, opts: { pdf?: string; logKey?: string; witnessKey: string[]; quorum: string; policy?: string; json?: boolean }) => {
      let policy;
      try {
        policy = policyFromOptions(opts);
      } catch (err) {
        process.stderr.write(`grms: ${(err as Error).message} [${(err as { code?: string }).code ?? 'LOG_TRUST_INVALID'}]\n`);
        // Missing or unreadable keys are a usage error: nothing was verified.
        process.exitCode = 2;
        return;
      }
      const verdict = verifyBundle(fs.readFileSync(file), policy, opts.pdf ? fs.readFileSync(opts.pdf) : undefined);
      if (opts.json) process.stdout.write(`${JSON.stringify(verdict, null, 2)}\n`);
      else {
        for (const c of verdict.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}\n`);
        if (verdict.document) process.stdout.write(`document ${verdict.document.number} "${verdict.document.title}" (${verdict.document.stage}), signed by ${verdict.document.signer}\n`);
        process.stdout.write(verdict.ok ? 'VERIFIED: the document is in the public log and witnessed as the policy requires\n' : 'NOT VERIFIED\n');
      }
      if (!verdict.ok) process.exitCode = 1;
    });
}
