import { defaultRegistry } from '../src/engine/registry';
import { packageProblems } from '../src/engine/package-check';
import type { LoadedPackage } from '../src/engine/package';

/** `grms workflow check` judges the built-in packages as it judges a regency's: none has a problem. */
test.each(defaultRegistry().packages.map((p) => [p.name, p as LoadedPackage] as const))('%s passes the package check', (_name, pkg) => {
  expect(packageProblems(pkg)).toEqual([]);
});
