import { resolve } from 'node:path';
import { circles, folderGraph, functionLengths, importGraph, productionFolders, sourceFiles } from '../../scripts/lib/code-shape';

/**
 * The house's shape, held as tests (docs/architecture.md "House rules"): short functions, and
 * imports that flow one way inside packages/core. `pnpm shape` prints the figures.
 */
const root = resolve(__dirname, '../..');
const MAX_OWN_LINES = 60;

describe('house rules', () => {
  it(`no function in packages/core/src or services/*/src has more than ${MAX_OWN_LINES} lines of its own (generated code aside)`, () => {
    const files = sourceFiles(root, productionFolders(root));
    expect(files.length).toBeGreaterThan(100);
    const lengths = files.flatMap((file) => functionLengths(file, root));
    expect(lengths.length).toBeGreaterThan(500);
    const long = lengths.filter((fn) => fn.ownLines > MAX_OWN_LINES).map((fn) => `${fn.file}:${fn.line} ${fn.name} (${fn.ownLines})`);
    expect(long).toEqual([]);
  });

  it('packages/core has no import circle, between files or between folders (nothing imports back up)', () => {
    const graph = importGraph(sourceFiles(root, ['packages/core/src']));
    expect(graph.size).toBeGreaterThan(100);
    expect(circles(graph)).toEqual([]);
    expect(circles(folderGraph(graph, resolve(root, 'packages/core/src')))).toEqual([]);
  });

  it('the measures see what they measure: a nested function is counted apart, and a circle is found', () => {
    const lengths = functionLengths(resolve(__dirname, 'fixtures/shapes.ts'), root);
    expect(lengths.find((fn) => fn.name === 'outer')!.ownLines).toBe(3);
    expect(lengths.find((fn) => fn.name === 'inner')!.ownLines).toBe(4);
    expect(
      circles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });
});
