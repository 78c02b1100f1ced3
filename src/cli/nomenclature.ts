import fs from 'node:fs';
import type { Command } from 'commander';
import { invalidData } from '../errors';
import { checkFiscalYear, csvText, importNomenclatureCsv, NOMENCLATURE_LIMITS } from '../nomenclature';
import { actorName, AS_HELP, refusalsExit2, type WithDeployment } from './user';

/** `grms nomenclature import`: the admin CSV import of the API, from the command line (src/nomenclature). */
export function registerNomenclatureCommands(program: Command, withDeployment: WithDeployment): void {
  const nomenclature = program.command('nomenclature').description('names of budget codes (urusan … sub kegiatan, accounts) per fiscal year');
  nomenclature
    .command('import <file>')
    .description('import a CSV file "kind,code,name" for a fiscal year: every row, or none when any row is refused (exit 2, each refused row named)')
    .requiredOption('--year <year>', 'the fiscal year, e.g. 2027')
    .option('--as <username>', AS_HELP)
    .action(refusalsExit2(async (file: string, opts: { year: string; as?: string }) => {
      const year = checkFiscalYear(/^[0-9]{4}$/.test(opts.year) ? Number(opts.year) : NaN, '--year');
      const size = fs.statSync(file).size;
      if (size > NOMENCLATURE_LIMITS.bytes) throw invalidData('The nomenclature file is refused', [{ path: '/rows', message: `is ${size} bytes; a file is at most ${NOMENCLATURE_LIMITS.bytes} bytes` }]);
      const text = csvText(fs.readFileSync(file));
      await withDeployment('cli:nomenclature', false, async ({ db }) => {
        const result = await importNomenclatureCsv(db.kysely, year, text, await actorName(db.kysely, opts.as));
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      });
    }));
}
