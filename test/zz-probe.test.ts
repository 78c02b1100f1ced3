import { denylist, englishIn } from '../test/support/english-words';
import { id } from '../src/web/i18n/id';
import { defaultRegistry } from '../src/engine/registry';
test('probe', () => {
  const list = denylist(defaultRegistry());
  console.log('english', list.english.size, 'ids', list.ids.size);
  const out: string[] = [];
  for (const [k, v] of Object.entries(id)) { const f = englishIn(v, list); if (f.length) out.push(`${k}: ${f.join(', ')}  «${v}»`); }
  for (const pkg of defaultRegistry().packages) for (const kind of ['states','events','fields','texts'] as const) for (const [k, v] of Object.entries(pkg.labels.id?.[kind] ?? {})) { const f = englishIn(v, list); if (f.length) out.push(`${pkg.name}.${kind}.${k}: ${f.join(', ')}  «${v}»`); }
  console.log(out.join('\n'));
});
