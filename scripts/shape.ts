/**
 * `pnpm shape`: the longest functions of packages/core/src and services/*\/src (lines of their own,
 * nested functions counted apart) and any import circle inside packages/core, between files or
 * between its folders. The house rules (test/architecture/house-rules.test.ts) hold the same
 * figures to their limits.
 */
import { resolve } from 'node:path';
import { circles, folderGraph, functionLengths, importGraph, productionFolders, sourceFiles } from './lib/code-shape';

const root = resolve(__dirname, '..');
const count = Number(process.argv[2] ?? 10);
const lengths = sourceFiles(root, productionFolders(root)).flatMap((file) => functionLengths(file, root));
for (const fn of lengths.sort((a, b) => b.ownLines - a.ownLines).slice(0, count))
  console.log(`${String(fn.ownLines).padStart(4)}  ${fn.name}  ${fn.file}:${fn.line}`);
const core = importGraph(sourceFiles(root, ['packages/core/src']));
console.log(
  `import circles in packages/core/src: ${circles(core).length} between files, ${circles(folderGraph(core, resolve(root, 'packages/core/src'))).length} between folders`,
);
