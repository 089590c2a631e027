/**
 * Re-creates the vendored provider material under test/conformance/vendor/ from the providers'
 * own public repositories. Never run by tests (jest only matches *.test.ts); run it by hand when
 * the vendored copies should move to a newer upstream commit:
 *
 *   npx tsx test/conformance/vendor/extract.ts \
 *     --twilio-oai      <twilio/twilio-oai checkout or git dir> \
 *     --twilio-node     <twilio/twilio-node checkout or git dir> \
 *     --openai-openapi  <openai/openai-openapi checkout or git dir> \
 *     --sendgrid-nodejs <sendgrid/sendgrid-nodejs checkout or git dir> \
 *     [--rev <commit-ish, default HEAD>]
 *
 * Each argument is a local copy of the repository: a work tree (`.git` inside) or a bare git
 * directory (as `git clone --mirror` leaves it). Files are read with `git show <rev>:<path>`, so
 * what is extracted is exactly the committed file, and the commit and blob ids written into
 * PROVENANCE.md are the ones read. Any of the four may be left out; only its folder is rewritten.
 *
 * What is extracted (nothing is edited: schemas are copied verbatim, only a subset of them):
 * - twilio-oai: the listed operations' responses of spec/json/twilio_api_v2010.json (Messages
 *   create, list, fetch) and spec/json/twilio_content_v1.json (Content create, fetch), plus every
 *   components.schemas entry they reach through $ref (the closure); Twilio's error body as the
 *   spec publishes it (not in api_v2010: inline in spec/json/twilio_messaging_v3.json's 4xx answers).
 * - openai-openapi: openapi.yaml's Response, ConversationResource, ConversationItemList,
 *   ErrorResponse and Error schemas with their closure, and the JSON answers of the operations the
 *   engine calls.
 * - twilio-node: the request-validator test vectors of spec/validation.spec.js and
 *   spec/unit/webhooks/webhooks.spec.js, read from the test source's syntax tree by a small
 *   evaluator (literals, constants, `+`, `.replace`); no upstream code is run.
 * - sendgrid-nodejs: the Event Webhook vectors of packages/eventwebhook/src/eventwebhook.spec.js,
 *   the same way (also JSON.stringify, .split, .join).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import YAML from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const VENDOR = resolve(__dirname);

// ---------------------------------------------------------------- arguments and git reading

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
};
const rev = option('rev') ?? 'HEAD';

interface Upstream {
  repository: string;
  gitDir: string;
  commit: string;
  commitDate: string;
}

const gitDirOf = (path: string): string => (existsSync(join(path, '.git')) ? join(path, '.git') : path);
const git = (gitDir: string, ...gitArgs: string[]): string => execFileSync('git', ['--git-dir', gitDir, ...gitArgs], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });

const upstream = (repository: string, path: string): Upstream => {
  const gitDir = gitDirOf(resolve(path));
  const commit = git(gitDir, 'rev-parse', `${rev}^{commit}`).trim();
  return { repository, gitDir, commit, commitDate: git(gitDir, 'show', '-s', '--format=%cI', commit).trim() };
};
const show = (source: Upstream, path: string): string => git(source.gitDir, 'show', `${source.commit}:${path}`);
const blob = (source: Upstream, path: string): string => git(source.gitDir, 'rev-parse', `${source.commit}:${path}`).trim();
const lastChange = (source: Upstream, path: string): string => git(source.gitDir, 'log', '-1', '--format=%H', source.commit, '--', path).trim();

const write = (folder: string, name: string, content: string) => {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, name), content.endsWith('\n') ? content : `${content}\n`);
  console.log(`wrote ${join(folder, name)}`);
};
/** JSON, except that `undefined` (an argument upstream passes on purpose) is kept as {"$undefined": true}. */
const writeJson = (folder: string, name: string, value: unknown) =>
  write(folder, name, JSON.stringify(value, (_key, item: unknown) => (item === undefined ? { $undefined: true } : item), 2));

const fileRow = (source: Upstream, path: string) => `| \`${path}\` | \`${blob(source, path)}\` | \`${lastChange(source, path)}\` |`;
const provenanceHeader = (source: Upstream, files: string[]) =>
  [
    `- Repository: https://github.com/${source.repository}`,
    `- Commit: \`${source.commit}\` (committed ${source.commitDate})`,
    `- Licence: MIT, copied verbatim from \`LICENSE\` (blob \`${blob(source, 'LICENSE')}\`) into \`LICENSE\` beside this file.`,
    '',
    '| Upstream path | Blob | Last commit that changed it |',
    '| --- | --- | --- |',
    ...files.map((path) => fileRow(source, path)),
  ].join('\n');

// ---------------------------------------------------------------- OpenAPI closure

const SCHEMA_REF = '#/components/schemas/';
const COMPONENT_REF = /^#\/components\/([A-Za-z]+)\/([^/]+)$/;

/** Every component (`schemas`, `responses`, …) reachable from `roots` through $ref: kind → sorted names. */
const closureOf = (components: JsonObject, roots: Json[]): Record<string, string[]> => {
  const seen = new Map<string, Set<string>>();
  const pending: Json[] = [...roots];
  while (pending.length > 0) {
    const value = pending.pop();
    if (Array.isArray(value)) pending.push(...value);
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === '$ref' && typeof child === 'string') {
          const match = COMPONENT_REF.exec(child);
          if (!match) throw new Error(`a $ref this extractor cannot follow: ${child}`);
          const [, kind, name] = match as unknown as [string, string, string];
          const target = (components[kind] as JsonObject | undefined)?.[name];
          if (target === undefined) throw new Error(`a $ref to a component the spec lacks: ${child}`);
          const names = seen.get(kind) ?? new Set<string>();
          seen.set(kind, names);
          if (!names.has(name)) {
            names.add(name);
            pending.push(target);
          }
        } else pending.push(child);
      }
    }
  }
  return Object.fromEntries([...seen].sort(([a], [b]) => a.localeCompare(b)).map(([kind, names]) => [kind, [...names].sort()]));
};

const pick = (object: JsonObject, names: string[]): JsonObject => Object.fromEntries(names.map((name) => [name, object[name]!]));

interface OperationPick {
  path: string;
  method: string;
  statuses?: string[];
  /** Keep only these media types of each response (default: all). */
  mediaTypes?: string[];
}

/** The picked operations' responses (nothing else of the operation but its operationId), as an OpenAPI `paths` subset. */
const pickOperations = (spec: JsonObject, picks: OperationPick[]): JsonObject => {
  const paths: JsonObject = {};
  for (const { path, method, statuses, mediaTypes } of picks) {
    const operation = ((spec.paths as JsonObject)[path] as JsonObject | undefined)?.[method] as JsonObject | undefined;
    if (!operation) throw new Error(`the spec has no ${method.toUpperCase()} ${path}`);
    const responses: JsonObject = {};
    for (const [status, response] of Object.entries(operation.responses as JsonObject)) {
      if (statuses && !statuses.includes(status)) continue;
      const { content, ...rest } = response as JsonObject;
      const keptContent = content && mediaTypes ? pick(content as JsonObject, Object.keys(content as JsonObject).filter((type) => mediaTypes.includes(type))) : content;
      responses[status] = { ...rest, ...(keptContent ? { content: keptContent } : {}) };
    }
    const server = ((spec.paths as JsonObject)[path] as JsonObject).servers;
    paths[path] = { ...((paths[path] as JsonObject | undefined) ?? {}), ...(server ? { servers: server } : {}), [method]: { operationId: operation.operationId ?? null, responses } };
  }
  return paths;
};

/** An OpenAPI document holding only `paths` (picked) and the components `rootSchemas` and those paths reach. */
const subset = (spec: JsonObject, picks: OperationPick[], rootSchemas: string[]): { document: JsonObject; schemaNames: string[]; componentNames: Record<string, string[]> } => {
  const components = spec.components as JsonObject;
  const paths = pickOperations(spec, picks);
  const componentNames = closureOf(components, [paths, ...rootSchemas.map((name) => ({ $ref: `${SCHEMA_REF}${name}` }))]);
  const document: JsonObject = {
    openapi: spec.openapi!,
    info: pick(spec.info as JsonObject, ['title', 'version'].filter((key) => key in (spec.info as JsonObject))),
    ...(spec.servers ? { servers: spec.servers } : {}),
    paths,
    components: Object.fromEntries(Object.entries(componentNames).map(([kind, names]) => [kind, pick(components[kind] as JsonObject, names)])),
  };
  return { document, schemaNames: componentNames.schemas ?? [], componentNames };
};

// ---------------------------------------------------------------- Twilio OpenAPI

const extractTwilioOai = (source: Upstream) => {
  const folder = join(VENDOR, 'twilio', 'twilio-oai');
  const API = 'spec/json/twilio_api_v2010.json';
  const CONTENT = 'spec/json/twilio_content_v1.json';
  const MESSAGING_V3 = 'spec/json/twilio_messaging_v3.json';

  const api = JSON.parse(show(source, API)) as JsonObject;
  const messages = subset(
    api,
    [
      { path: '/2010-04-01/Accounts/{AccountSid}/Messages.json', method: 'post' },
      { path: '/2010-04-01/Accounts/{AccountSid}/Messages.json', method: 'get' },
      { path: '/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json', method: 'get' },
    ],
    ['api.v2010.account.message'],
  );
  writeJson(folder, 'twilio_api_v2010.messages.json', messages.document);

  const content = JSON.parse(show(source, CONTENT)) as JsonObject;
  const contentSubset = subset(
    content,
    [
      { path: '/v1/Content', method: 'post' },
      { path: '/v1/Content/{Sid}', method: 'get' },
    ],
    ['content.v1.content'],
  );
  writeJson(folder, 'twilio_content_v1.content.json', contentSubset.document);

  // api_v2010 publishes no error body; messaging v3 does, inline in each 4xx/5xx answer (all identical).
  const v3 = JSON.parse(show(source, MESSAGING_V3)) as JsonObject;
  const errorPath = '/v3/Indicators/Typing.json';
  const errorOperation = subset(v3, [{ path: errorPath, method: 'post', statuses: ['400', '401', '403', '404', '429', '500'] }], []);
  const errorSchemas = Object.values((((errorOperation.document.paths as JsonObject)[errorPath] as JsonObject).post as JsonObject).responses as JsonObject).map(
    (response) => (((response as JsonObject).content as JsonObject)['application/json'] as JsonObject).schema,
  );
  if (errorSchemas.length === 0 || errorSchemas.some((schema) => JSON.stringify(schema) !== JSON.stringify(errorSchemas[0]))) throw new Error('messaging v3 error answers differ from each other');
  writeJson(folder, 'twilio_error.json', { 'x-vendored-from': { file: MESSAGING_V3, pointer: `#/paths/${errorPath.replace(/\//g, '~1')}/post/responses/400/content/application~1json/schema` }, ...(errorSchemas[0] as JsonObject) });

  write(folder, 'LICENSE', show(source, 'LICENSE'));
  write(
    folder,
    'PROVENANCE.md',
    [
      '# Twilio OpenAPI (twilio/twilio-oai): vendored subset',
      '',
      provenanceHeader(source, [API, CONTENT, MESSAGING_V3]),
      '',
      '## What was extracted, and how',
      '',
      'By `test/conformance/vendor/extract.ts` (see its header for the command), reading each file with `git show <commit>:<path>`. Schemas are copied verbatim (descriptions included); only which of them are kept is chosen.',
      '',
      `- \`twilio_api_v2010.messages.json\`: from \`${API}\` (OpenAPI ${String(api.openapi)}), \`paths\` reduced to the \`responses\` (schemas and Twilio's own examples) of`,
      '  `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (create, 201), `GET` of the same path (list, 200: the inline `ListMessageResponse` schema)',
      '  and `GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json` (fetch, 200); `components.schemas` reduced to the $ref closure of those answers and of',
      `  \`api.v2010.account.message\`: ${messages.schemaNames.map((name) => `\`${name}\``).join(', ')}.`,
      `- \`twilio_content_v1.content.json\`: from \`${CONTENT}\` (OpenAPI ${String(content.openapi)}), the responses of \`POST /v1/Content\` (create, 201) and \`GET /v1/Content/{Sid}\` (fetch, 200) and the closure of \`content.v1.content\`: ${contentSubset.schemaNames.map((name) => `\`${name}\``).join(', ')}.`,
      `- \`twilio_error.json\`: Twilio's error body. \`${API}\` publishes none (its operations declare only their success answers), so it is taken from \`${MESSAGING_V3}\`,`,
      `  where every 4xx/5xx answer of \`POST ${errorPath}\` carries the same inline schema (\`code\`, \`message\`, \`more_info\`, \`status\`); the extractor checks that they are identical.`,
      '',
      'The files stay OpenAPI 3.0 (`nullable`); the tests convert them to JSON Schema (test/conformance/support/openapi-schema.ts).',
      '',
    ].join('\n'),
  );
};

// ---------------------------------------------------------------- OpenAI OpenAPI

const extractOpenAi = (source: Upstream) => {
  const folder = join(VENDOR, 'openai', 'openai-openapi');
  const SPEC = 'openapi.yaml';
  const spec = YAML.parse(show(source, SPEC), { maxAliasCount: -1 }) as JsonObject;
  const roots = ['Response', 'ConversationResource', 'ConversationItemList', 'ErrorResponse', 'Error'];
  const openAi = subset(
    spec,
    [
      { path: '/conversations', method: 'post', mediaTypes: ['application/json'] },
      { path: '/conversations/{conversation_id}/items', method: 'get', mediaTypes: ['application/json'] },
      { path: '/conversations/{conversation_id}/items', method: 'post', mediaTypes: ['application/json'] },
      { path: '/responses', method: 'post', mediaTypes: ['application/json'] },
    ],
    roots,
  );
  writeJson(folder, 'openai.responses-conversations.json', openAi.document);
  write(folder, 'LICENSE', show(source, 'LICENSE'));
  write(
    folder,
    'PROVENANCE.md',
    [
      '# OpenAI OpenAPI (openai/openai-openapi): vendored subset',
      '',
      provenanceHeader(source, [SPEC]),
      '',
      '## What was extracted, and how',
      '',
      `By \`test/conformance/vendor/extract.ts\`, reading \`${SPEC}\` (OpenAPI ${String(spec.openapi)}, API version ${String((spec.info as JsonObject).version)}) with \`git show <commit>:<path>\` and parsing it with the \`yaml\` package (\`openapi.json\` at the same commit holds the same schemas).`,
      '',
      '`openai.responses-conversations.json` keeps:',
      '',
      '- `paths`: only the `application/json` answers of `POST /conversations`, `GET` and `POST /conversations/{conversation_id}/items` and `POST /responses` (the operations the engine calls);',
      `- \`components\`: the $ref closure of those answers and of ${roots.map((name) => `\`${name}\``).join(', ')}: ${openAi.schemaNames.length} \`schemas\`, and the \`responses\` ${(openAi.componentNames.responses ?? []).map((name) => `\`${name}\``).join(', ')} (the 429 answer, whose body is \`ErrorResponse\`), verbatim.`,
      '',
      'The closure is large (the Response object reaches every output item and tool type); it is vendored whole as JSON rather than hand-trimmed, so nothing is paraphrased.',
      '',
    ].join('\n'),
  );
};

// ---------------------------------------------------------------- test vectors from upstream test sources

/** A value the evaluator could not compute (a mock, a middleware): using it is an error. */
class Unevaluable {
  constructor(readonly reason: string) {}
}
/** A call to a function under test, kept as name and evaluated arguments. */
interface CallMarker {
  $call: string;
  args: unknown[];
}
const isCall = (value: unknown): value is CallMarker => typeof value === 'object' && value !== null && '$call' in value;

type Scope = Map<string, unknown>;
const lookup = (scopes: Scope[], name: string): unknown => {
  for (let index = scopes.length - 1; index >= 0; index -= 1) {
    if (scopes[index]!.has(name)) {
      const value = scopes[index]!.get(name);
      if (value instanceof Unevaluable) throw new Error(`${name} is not a literal value (${value.reason})`);
      return value;
    }
  }
  if (name === 'undefined') return undefined;
  throw new Error(`unknown identifier ${name}`);
};

/**
 * Evaluates the small expression language test vectors are written in. `calls` names the
 * functions under test: a call to one of them becomes a CallMarker instead of being run.
 */
const evaluate = (node: ts.Expression, scopes: Scope[], calls: Set<string>): unknown => {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isParenthesizedExpression(node)) return evaluate(node.expression, scopes, calls);
  if (ts.isIdentifier(node)) return lookup(scopes, node.text);
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken) return -(evaluate(node.operand, scopes, calls) as number);
  if (ts.isArrayLiteralExpression(node)) return node.elements.map((element) => evaluate(element, scopes, calls));
  if (ts.isObjectLiteralExpression(node)) {
    const object: Record<string, unknown> = {};
    for (const property of node.properties) {
      if (ts.isPropertyAssignment(property) && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) object[property.name.text] = evaluate(property.initializer, scopes, calls);
      else if (ts.isShorthandPropertyAssignment(property)) object[property.name.text] = lookup(scopes, property.name.text);
      else throw new Error(`unsupported object member: ${property.getText()}`);
    }
    return object;
  }
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = evaluate(node.left, scopes, calls);
    const right = evaluate(node.right, scopes, calls);
    if (typeof left === 'number' && typeof right === 'number') return left + right;
    if ((typeof left === 'string' || typeof left === 'number') && (typeof right === 'string' || typeof right === 'number')) return `${left}${right}`;
    throw new Error(`unsupported +: ${node.getText()}`);
  }
  if (ts.isCallExpression(node)) {
    const callee = node.expression;
    const evaluatedArgs = () => node.arguments.map((argument) => evaluate(argument, scopes, calls));
    const calleeName = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.getText() : undefined;
    if (calleeName && calls.has(calleeName)) return { $call: calleeName, args: evaluatedArgs() } satisfies CallMarker;
    if (calleeName === 'JSON.stringify' && node.arguments.length === 1) return JSON.stringify(evaluatedArgs()[0]);
    if (ts.isPropertyAccessExpression(callee)) {
      const target = evaluate(callee.expression, scopes, calls);
      const [a, b] = evaluatedArgs();
      const method = callee.name.text;
      if (typeof target === 'string' && method === 'replace' && typeof a === 'string' && typeof b === 'string') return target.replace(a, b);
      if (typeof target === 'string' && method === 'split' && typeof a === 'string') return target.split(a);
      if (Array.isArray(target) && method === 'join' && typeof a === 'string') return target.join(a);
    }
    throw new Error(`unsupported call: ${node.getText()}`);
  }
  throw new Error(`unsupported expression (${ts.SyntaxKind[node.kind]}): ${node.getText()}`);
};

interface Vector {
  /** describe › … › it, as upstream names the test. */
  test: string;
  call: string;
  args: unknown[];
  expected: unknown;
}

/**
 * Walks a jest/mocha spec file: `describe` blocks open scopes (their `const`s evaluated where
 * possible), each `it` body is evaluated statement by statement, and every
 * `expect(<call under test>).<matcher>` becomes a vector. `only` restricts to describe blocks
 * with these names (top level).
 */
const vectorsOf = (file: string, sourceText: string, calls: string[], only?: string[]): Vector[] => {
  const sourceFile = ts.createSourceFile(file, sourceText, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const callSet = new Set(calls);
  const vectors: Vector[] = [];

  const declare = (statement: ts.VariableStatement, scopes: Scope[]) => {
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name)) continue;
      let value: unknown;
      try {
        value = declaration.initializer ? evaluate(declaration.initializer, scopes, callSet) : undefined;
      } catch (error) {
        value = new Unevaluable((error as Error).message);
      }
      scopes[scopes.length - 1]!.set(declaration.name.text, value);
    }
  };

  const callbackBody = (call: ts.CallExpression): ts.NodeArray<ts.Statement> | undefined => {
    const callback = call.arguments[1];
    return callback && (ts.isArrowFunction(callback) || ts.isFunctionExpression(callback)) && ts.isBlock(callback.body) ? callback.body.statements : undefined;
  };
  const nameOf = (call: ts.CallExpression) => {
    const first = call.arguments[0];
    return first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) ? first.text : '?';
  };

  /** expect(X).toBeTruthy() | .toBeFalsy() | .toBe(v) | .toEqual(v) | .to.equal(v) → [X, expected]. */
  const expectation = (expression: ts.Expression, scopes: Scope[]): [unknown, unknown] | undefined => {
    if (!ts.isCallExpression(expression) || !ts.isPropertyAccessExpression(expression.expression)) return undefined;
    const matcher = expression.expression.name.text;
    let subject = expression.expression.expression;
    if (ts.isPropertyAccessExpression(subject) && subject.name.text === 'to') subject = subject.expression; // chai: expect(x).to.equal(v)
    if (!ts.isCallExpression(subject) || !ts.isIdentifier(subject.expression) || subject.expression.text !== 'expect') return undefined;
    const actual = evaluate(subject.arguments[0]!, scopes, callSet);
    const argument = expression.arguments[0];
    switch (matcher) {
      case 'toBeTruthy':
        return [actual, true];
      case 'toBeFalsy':
        return [actual, false];
      case 'toBe':
      case 'toEqual':
      case 'equal':
        return [actual, evaluate(argument!, scopes, callSet)];
      default:
        throw new Error(`unsupported matcher ${matcher}`);
    }
  };

  const runIt = (statements: ts.NodeArray<ts.Statement>, scopes: Scope[], title: string) => {
    const local: Scope[] = [...scopes, new Map()];
    let found = 0;
    for (const statement of statements) {
      if (ts.isVariableStatement(statement)) {
        declare(statement, local);
        continue;
      }
      if (!ts.isExpressionStatement(statement)) throw new Error(`${title}: unsupported statement ${statement.getText()}`);
      const expression = statement.expression;
      if (ts.isBinaryExpression(expression) && expression.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(expression.left)) {
        local[local.length - 1]!.set(expression.left.text, evaluate(expression.right, local, callSet));
        continue;
      }
      const expected = expectation(expression, local);
      if (!expected) throw new Error(`${title}: unsupported statement ${statement.getText()}`);
      const [actual, value] = expected;
      if (!isCall(actual)) throw new Error(`${title}: expect() of something not under test`);
      vectors.push({ test: title, call: actual.$call, args: actual.args, expected: value });
      found += 1;
    }
    if (found === 0) throw new Error(`${title}: no expectation found`);
  };

  const walk = (statements: ts.NodeArray<ts.Statement>, scopes: Scope[], path: string[]) => {
    for (const statement of statements) {
      if (ts.isVariableStatement(statement)) declare(statement, scopes);
      if (!ts.isExpressionStatement(statement) || !ts.isCallExpression(statement.expression) || !ts.isIdentifier(statement.expression.expression)) continue;
      const call = statement.expression;
      const kind = (call.expression as ts.Identifier).text;
      const body = callbackBody(call);
      if (!body) continue;
      if (kind === 'describe') {
        if (path.length === 0 && only && !only.includes(nameOf(call))) continue;
        walk(body, [...scopes, new Map()], [...path, nameOf(call)]);
      } else if (kind === 'it' || kind === 'test') runIt(body, scopes, [...path, nameOf(call)].join(' › '));
    }
  };

  walk(sourceFile.statements, [new Map()], []);
  return vectors;
};

const extractTwilioNode = (source: Upstream) => {
  const folder = join(VENDOR, 'twilio', 'twilio-node');
  const VALIDATION = 'spec/validation.spec.js';
  const WEBHOOKS = 'spec/unit/webhooks/webhooks.spec.js';
  // The middleware tests ("Request validation middleware") need HTTP mocks: only the function-level tests are vectors.
  const validation = vectorsOf(VALIDATION, show(source, VALIDATION), ['validateRequest', 'validateRequestWithBody', 'validateBody'], ['Request validation']);
  const webhooks = vectorsOf(WEBHOOKS, show(source, WEBHOOKS), ['validateRequest', 'getExpectedTwilioSignature'], ['webhooks']);
  const version = (JSON.parse(show(source, 'package.json')) as { version: string }).version;
  writeJson(folder, 'request-validator.vectors.json', {
    source: { repository: source.repository, commit: source.commit, package_version: version },
    undefined: 'An argument {"$undefined": true} is JavaScript undefined.',
    signatureOf:
      'An argument {"$call": "getExpectedTwilioSignature", "args": [authToken, url, params]} stands for the signature getExpectedTwilioSignature computes from those arguments (upstream computes it in the test).',
    files: { [VALIDATION]: validation, [WEBHOOKS]: webhooks },
  });
  write(folder, 'LICENSE', show(source, 'LICENSE'));
  write(
    folder,
    'PROVENANCE.md',
    [
      '# Twilio request-validator test vectors (twilio/twilio-node)',
      '',
      provenanceHeader(source, [VALIDATION, WEBHOOKS, 'package.json']),
      '',
      `Package version at that commit: \`twilio@${version}\`.`,
      '',
      '## What was extracted, and how',
      '',
      'By `test/conformance/vendor/extract.ts`: each spec file is parsed with the TypeScript compiler API (as JavaScript) and its `describe`/`it` blocks are walked;',
      'a small evaluator computes the constants the tests use (string and number literals, object and array literals, `+`, `String.prototype.replace`) and turns each',
      '`expect(<function under test>(…)).toBeTruthy()/toBeFalsy()/toBe(x)` into a vector `{test, call, args, expected}`. No upstream code is run.',
      '',
      `- \`${VALIDATION}\`, describe "Request validation" (${validation.length} vectors): auth token \`12345\`, the URL, the form parameters and the expected signature of each case`,
      '  (ports, credentials in the URL, special characters, array parameters), the `bodySHA256` cases (`validateBody`, `validateRequestWithBody`) and the failing ones (wrong signature, missing signature, body without `bodySHA256`).',
      '  "Request validation middleware" is left out (it needs Express request mocks; its signatures are the ones above).',
      `- \`${WEBHOOKS}\` (${webhooks.length} vectors): auth token \`s3cr3t\`; each case signs one URL with \`getExpectedTwilioSignature\` and validates another (ports, quotes).`,
      '  Upstream computes those signatures in the test, so the vector keeps the call (`{"$call": "getExpectedTwilioSignature", "args": […]}`) rather than a literal.',
      '',
    ].join('\n'),
  );
};

const extractSendGrid = (source: Upstream) => {
  const folder = join(VENDOR, 'sendgrid', 'sendgrid-nodejs');
  const SPEC = 'packages/eventwebhook/src/eventwebhook.spec.js';
  const vectors = vectorsOf(SPEC, show(source, SPEC), ['verify', 'EventWebhookHeader.SIGNATURE', 'EventWebhookHeader.TIMESTAMP']);
  const version = (JSON.parse(show(source, 'packages/eventwebhook/package.json')) as { version: string }).version;
  writeJson(folder, 'eventwebhook.vectors.json', {
    source: { repository: source.repository, commit: source.commit, package: '@sendgrid/eventwebhook', package_version: version },
    verify:
      'verify(publicKey, payload, signature, timestamp) is the spec file\'s helper: new EventWebhook().verifySignature(ew.convertPublicKeyToECDSA(publicKey), payload, signature, timestamp).',
    vectors,
  });
  write(folder, 'LICENSE', show(source, 'LICENSE'));
  write(
    folder,
    'PROVENANCE.md',
    [
      '# SendGrid Signed Event Webhook test vectors (sendgrid/sendgrid-nodejs)',
      '',
      provenanceHeader(source, [SPEC, 'packages/eventwebhook/src/eventwebhook.js', 'packages/eventwebhook/package.json']),
      '',
      `Package version at that commit: \`@sendgrid/eventwebhook@${version}\`.`,
      '',
      '## What was extracted, and how',
      '',
      `By \`test/conformance/vendor/extract.ts\`: \`${SPEC}\` is parsed with the TypeScript compiler API and its \`it\` blocks are walked; a small evaluator`,
      'computes the constants (the public keys, signatures and timestamps as literals; the payloads exactly as the spec builds them: `JSON.stringify(…) + \'\\r\\n\'`,',
      'and for the multi-event batch `.split(\'},{\').join(\'},\\r\\n{\')`), and each `expect(verify(…)).to.equal(x)` becomes a vector `{test, call, args, expected}`',
      `(${vectors.length} in all: the valid single- and multi-event signatures, and the rejections for another key, a bad payload, a bad signature and a bad timestamp;`,
      'plus the two header names). No upstream code is run.',
      '',
    ].join('\n'),
  );
};

// ---------------------------------------------------------------- main

const jobs: [string, string, (source: Upstream) => void][] = [
  ['twilio-oai', 'twilio/twilio-oai', extractTwilioOai],
  ['openai-openapi', 'openai/openai-openapi', extractOpenAi],
  ['twilio-node', 'twilio/twilio-node', extractTwilioNode],
  ['sendgrid-nodejs', 'sendgrid/sendgrid-nodejs', extractSendGrid],
];
let ran = 0;
for (const [flag, repository, extract] of jobs) {
  const path = option(flag);
  if (!path) continue;
  extract(upstream(repository, path));
  ran += 1;
}
if (ran === 0) {
  console.error('Nothing to do: pass at least one of --twilio-oai, --openai-openapi, --twilio-node, --sendgrid-nodejs (see the header of this file).');
  process.exit(2);
}
