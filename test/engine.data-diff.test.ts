import { diffData } from '../src/engine/data-diff';

/** The diff of two versions of an instance's data: pointers, rows matched like lines of text, keys in schema order. */
describe('diffData', () => {
  const row = (account: string, unitPrice: number) => ({ account, unitPrice });

  test('equal data has no differences, whatever the key order', () => {
    expect(diffData({ a: 1, b: { c: [row('x', 1)] } }, { b: { c: [row('x', 1)] }, a: 1 })).toEqual([]);
  });

  test('a row inserted in the middle is one row added, not every later row changed', () => {
    const before = { lines: [row('a', 1), row('b', 2), row('c', 3)] };
    const after = { lines: [row('a', 1), row('new', 9), row('b', 2), row('c', 3)] };
    expect(diffData(before, after)).toEqual([{ path: '/lines/1', kind: 'added', after: row('new', 9) }]);
  });

  test('a row changed in place is compared field by field; removed rows keep their old index', () => {
    const before = { lines: [row('a', 1), row('b', 2), row('c', 3)] };
    const after = { lines: [row('a', 5), row('c', 3)] };
    expect(diffData(before, after)).toEqual([
      { path: '/lines/0/unitPrice', kind: 'changed', before: 1, after: 5 },
      { path: '/lines/1', kind: 'removed', before: row('b', 2) },
    ]);
  });

  test('keys follow the schema, then the others; properties added and removed; pointers escape "/" and "~"', () => {
    const schema = { properties: { title: {}, output: { properties: { target: {}, unit: {} } } } };
    const diff = diffData(
      { 'a/b': 1, output: { unit: 'km', target: 1 }, title: 'x', gone: true },
      { title: 'y', 'a/b': 2, output: { target: 2, unit: 'km' }, 'm~n': 'new' },
      schema,
    );
    expect(diff.map((d) => [d.path, d.kind])).toEqual([
      ['/title', 'changed'], ['/output/target', 'changed'], ['/a~1b', 'changed'], ['/m~0n', 'added'], ['/gone', 'removed'],
    ]);
  });

  test('lists of plain values change as a whole', () => {
    expect(diffData({ tags: ['a', 'b'] }, { tags: ['b', 'a'] })).toEqual([{ path: '/tags', kind: 'changed', before: ['a', 'b'], after: ['b', 'a'] }]);
  });
});
