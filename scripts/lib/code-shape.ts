import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The shape of the code, measured from its text: how long each function is on its own, and
 * which files and folders import which. Used by the house-rules test (no function over 60 lines of
 * its own, no import circle) and by `pnpm shape`, which prints the longest functions.
 */

/** Where production code lives: packages/core/src and each service's src. */
export const productionFolders = (root: string): string[] => [
  'packages/core/src',
  ...readdirSync(join(root, 'services'))
    .filter((name) => statSync(join(root, 'services', name)).isDirectory())
    .map((name) => `services/${name}/src`),
];

export const sourceFiles = (root: string, folders: string[]): string[] =>
  folders
    .flatMap((folder) => walk(join(root, folder)))
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.includes('/generated/'));

const walk = (path: string): string[] => {
  try {
    if (!statSync(path).isDirectory()) return [path];
  } catch {
    return [];
  }
  return readdirSync(path)
    .filter((name) => name !== 'node_modules')
    .flatMap((name) => walk(join(path, name)));
};

export interface FunctionLength {
  file: string;
  name: string;
  line: number;
  /** Lines of the function that are not lines of a function nested in it. */
  ownLines: number;
}

const isFunctionLike = (node: ts.Node): node is ts.FunctionLikeDeclaration =>
  ts.isFunctionDeclaration(node) ||
  ts.isArrowFunction(node) ||
  ts.isFunctionExpression(node) ||
  ts.isMethodDeclaration(node) ||
  ts.isGetAccessor(node) ||
  ts.isSetAccessor(node) ||
  ts.isConstructorDeclaration(node);

const nameOf = (node: ts.FunctionLikeDeclaration): string => {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
};

/** Every function's own length: its lines minus the lines of the functions directly nested in it. */
export const functionLengths = (file: string, root: string): FunctionLength[] => {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line;
  const span = (node: ts.Node) => lineOf(node.getEnd()) - lineOf(node.getStart(source)) + 1;
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node, owner: { fn: ts.FunctionLikeDeclaration; nested: number } | undefined) => {
    if (isFunctionLike(node) && node.body) {
      if (owner) owner.nested += span(node);
      const mine = { fn: node, nested: 0 };
      ts.forEachChild(node, (child) => visit(child, mine));
      found.push({
        file: relative(root, file),
        name: nameOf(node),
        line: lineOf(node.getStart(source)) + 1,
        ownLines: span(node) - mine.nested,
      });
      return;
    }
    ts.forEachChild(node, (child) => visit(child, owner));
  };
  visit(source, undefined);
  return found;
};

/** The files of the tree that each file imports (relative imports only, resolved to .ts files or folder indexes). */
export const importGraph = (files: string[]): Map<string, string[]> => {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
    const targets: string[] = [];
    for (const statement of source.statements) {
      const specifier =
        (ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) &&
        statement.moduleSpecifier &&
        ts.isStringLiteral(statement.moduleSpecifier)
          ? statement.moduleSpecifier.text
          : undefined;
      if (!specifier?.startsWith('.')) continue;
      const base = resolve(dirname(file), specifier);
      const target = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => known.has(candidate));
      if (target) targets.push(target);
    }
    graph.set(file, targets);
  }
  return graph;
};

/** Strongly connected components of more than one node (Tarjan): the import circles. */
export const circles = (graph: Map<string, string[]>): string[][] => {
  let index = 0;
  const indexes = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (node: string) => {
    indexes.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indexes.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indexes.get(next)!));
    }
    if (low.get(node) === indexes.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indexes.has(node)) connect(node);
  return found;
};

/** The same graph between folders (a file's folder, taken `depth` levels below `root`); the barrels' own re-exports left out (a folder's index.ts names its own files). */
export const folderGraph = (graph: Map<string, string[]>, root: string, depth = 1): Map<string, string[]> => {
  const folderOf = (file: string) => relative(root, dirname(file)).split('/').slice(0, depth).join('/') || '.';
  const folders = new Map<string, Set<string>>();
  for (const [file, targets] of graph) {
    if (file.endsWith('/index.ts')) continue;
    const from = folderOf(file);
    const edges = folders.get(from) ?? new Set<string>();
    for (const target of targets) if (folderOf(target) !== from) edges.add(folderOf(target));
    folders.set(from, edges);
  }
  return new Map([...folders].map(([folder, edges]) => [folder, [...edges]]));
};
