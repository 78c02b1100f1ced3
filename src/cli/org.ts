import fs from 'node:fs';
import type { Command } from 'commander';
import { invalidData } from '../errors';
import { listOrgs, updateOrg, type OrgPatch } from '../auth/orgs';
import { logoTypeOf, MAX_LOGO_BYTES } from '../documents/logo';
import { actorName, AS_HELP, refusalsExit2, type WithDeployment } from './user';

/** A logo file, read only when it is no larger than a logo may be; its type taken from its bytes. */
function readLogo(file: string): NonNullable<OrgPatch['logo']> {
  const size = fs.statSync(file).size;
  if (size > MAX_LOGO_BYTES) throw invalidData('The logo is refused', [{ path: '/logo/data', message: `is ${size} bytes; a logo is at most ${MAX_LOGO_BYTES} bytes (256 KB)` }]);
  const bytes = fs.readFileSync(file);
  const contentType = logoTypeOf(bytes);
  if (!contentType) throw invalidData('The logo is refused', [{ path: '/logo/data', message: 'is not a PNG or JPEG image' }]);
  return { contentType, data: bytes.toString('base64') };
}

/** `grms org …`: an organisation's letterhead from the command line, recorded in the organisation chain like the API's. */
export function registerOrgCommands(program: Command, withDeployment: WithDeployment): void {
  const org = program.command('org').description('organisations: show one, change its letterhead (every change goes to the organisation chain)');

  org
    .command('show <id>')
    .description('the organisation as the API shows it (JSON; the logo by type, size and SHA-256)')
    .action(refusalsExit2(async (id: string) => {
      await withDeployment('cli:org', false, async ({ db }) => {
        const [found] = await listOrgs(db.kysely, id);
        if (!found) throw invalidData(`No organisation "${id}"`, [{ path: '/id', message: 'is not a known organisation' }]);
        process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
      });
    }));

  org
    .command('set <id>')
    .description('change the name, unit code or letterhead of an organisation; an empty value ("") clears a contact or the unit code')
    .option('--name <name>', 'the name, second line of the letterhead')
    .option('--unit-code <code>', 'unit code printed in its document numbers, e.g. BPKAD in 900/0015/BPKAD/2027')
    .option('--address <address>', 'address line of the letterhead')
    .option('--phone <phone>', 'phone number')
    .option('--email <email>', 'e-mail address')
    .option('--website <website>', 'website, e.g. dinkes.semarangkota.go.id')
    .option('--logo <file>', 'logo image: PNG or JPEG, at most 256 KB and 2048×2048 pixels')
    .option('--remove-logo', 'remove the logo')
    .option('--as <username>', AS_HELP)
    .action(refusalsExit2(async (id: string, opts: { name?: string; unitCode?: string; address?: string; phone?: string; email?: string; website?: string; logo?: string; removeLogo?: boolean; as?: string }) => {
      if (opts.logo !== undefined && opts.removeLogo) throw invalidData('Give --logo or --remove-logo, not both', [{ path: '/logo', message: 'give --logo or --remove-logo, not both' }]);
      const patch: OrgPatch = {
        ...(opts.name !== undefined && { name: opts.name }),
        ...(opts.unitCode !== undefined && { unitCode: opts.unitCode || null }),
        ...Object.fromEntries((['address', 'phone', 'email', 'website'] as const).filter((k) => opts[k] !== undefined).map((k) => [k, opts[k] || null])),
        ...(opts.logo !== undefined && { logo: readLogo(opts.logo) }),
        ...(opts.removeLogo && { logo: null }),
      };
      await withDeployment('cli:org', false, async ({ db }) => {
        const changed = await updateOrg(db.kysely, await actorName(db.kysely, opts.as), id, patch);
        process.stdout.write(`${JSON.stringify(changed, null, 2)}\n`);
      });
    }));
}
