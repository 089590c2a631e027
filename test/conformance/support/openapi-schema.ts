/**
 * The vendored OpenAPI documents (test/conformance/vendor/) as JSON Schema 2020-12, validated
 * with Ajv: packages/core's own copy of `ajv` and `ajv-formats` (the root package does not
 * depend on them; the relative imports reach the copy core validates with).
 *
 * OpenAPI → JSON Schema, schema node by schema node (data such as `example`, `default`, `enum`
 * values is never touched):
 * - OpenAPI 3.0 `nullable: true` → `null` added to `type` (and to `enum`); on a node without a
 *   `type` (a `$ref`, a composition) → `anyOf: [node, {type: null}]`.
 * - OpenAPI 3.0 boolean `exclusiveMinimum`/`exclusiveMaximum` → the 2020-12 numeric form.
 * - `$recursiveRef: "#"` (2019-09, used by OpenAI's CompoundFilter inside components) → a `$ref` to
 *   the named schema that holds it (what "#" meant where the schema was written); `$recursiveAnchor` dropped.
 * - `discriminator` (OpenAPI's, a hint for code generators) dropped; a `format` that is not a
 *   string dropped.
 * - `closed: true` additionally forbids properties a schema does not declare: every node that
 *   declares `properties` (or is an `allOf` of such nodes) and says nothing about
 *   `additionalProperties` gets `unevaluatedProperties: false`, except nodes that are members of
 *   a composition that adds properties to them (an `allOf` member, or an `anyOf`/`oneOf` member of
 *   a node with its own `properties`): there the composing node is closed instead, and 2020-12's
 *   `unevaluatedProperties` sees the properties every matching member declares.
 */
import type { ErrorObject, Format } from '../../../packages/core/node_modules/ajv';
import Ajv2020 from '../../../packages/core/node_modules/ajv/dist/2020';
import addFormats from '../../../packages/core/node_modules/ajv-formats';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_SINGLES = [
  'items',
  'additionalProperties',
  'unevaluatedProperties',
  'unevaluatedItems',
  'not',
  'if',
  'then',
  'else',
  'contains',
  'propertyNames',
  'additionalItems',
];
const SCHEMA_REF = '#/components/schemas/';

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Named schemas that appear as members of a property-adding composition: never closed themselves. */
const compositionMembers = (document: JsonObject): Set<string> => {
  const names = new Set<string>();
  const visit = (value: Json | undefined): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isObject(value)) return;
    const addsProperties = isObject(value.properties);
    for (const keyword of ['allOf', ...(addsProperties ? ['anyOf', 'oneOf'] : [])]) {
      const members = value[keyword];
      if (!Array.isArray(members)) continue;
      for (const member of members)
        if (isObject(member) && typeof member.$ref === 'string' && member.$ref.startsWith(SCHEMA_REF))
          names.add(member.$ref.slice(SCHEMA_REF.length));
    }
    Object.values(value).forEach(visit);
  };
  visit(document);
  return names;
};

interface Context {
  closed: boolean;
  /** The components.schemas entry being converted (for $recursiveRef). */
  name?: string;
  /** This node is a member of a composition that adds properties to it. */
  member: boolean;
}

const convertSchema = (input: Json, context: Context): Json => {
  if (!isObject(input)) return input; // boolean schemas
  const node: JsonObject = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'nullable' || key === 'discriminator' || key === '$recursiveAnchor') continue;
    if (key === 'format' && typeof value !== 'string') continue;
    if (key === '$recursiveRef') {
      if (value !== '#' || !context.name) throw new Error(`cannot convert $recursiveRef ${String(value)} outside a named schema`);
      node.$ref = `${SCHEMA_REF}${context.name}`;
      continue;
    }
    const child = (schema: Json, member = false) => convertSchema(schema, { ...context, member });
    if (SCHEMA_MAPS.includes(key) && isObject(value))
      node[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, child(schema)]));
    else if (SCHEMA_LISTS.includes(key) && Array.isArray(value)) {
      const membersAdd = key === 'allOf' || ((key === 'anyOf' || key === 'oneOf') && isObject(input.properties));
      node[key] = value.map((schema) => child(schema, membersAdd));
    } else if (SCHEMA_SINGLES.includes(key) && (isObject(value) || typeof value === 'boolean' || Array.isArray(value)))
      node[key] = Array.isArray(value) ? value.map((schema) => child(schema)) : child(value);
    else node[key] = value;
  }
  for (const bound of ['Minimum', 'Maximum'] as const) {
    const flag = node[`exclusive${bound}`];
    if (typeof flag === 'boolean') {
      if (flag && typeof node[bound.toLowerCase()] === 'number') node[`exclusive${bound}`] = node[bound.toLowerCase()]!;
      else delete node[`exclusive${bound}`];
      if (flag) delete node[bound.toLowerCase()];
    }
  }
  if (
    context.closed &&
    !context.member &&
    (isObject(node.properties) || Array.isArray(node.allOf)) &&
    node.additionalProperties === undefined &&
    node.unevaluatedProperties === undefined
  ) {
    node.unevaluatedProperties = false;
  }
  if (input.nullable === true) {
    if (typeof node.type === 'string') node.type = [node.type, 'null'];
    else if (Array.isArray(node.type)) node.type = [...new Set([...node.type, 'null'])];
    else return { anyOf: [node, { type: 'null' }] };
    if (Array.isArray(node.enum) && !node.enum.includes(null)) node.enum = [...node.enum, null];
  }
  return node;
};

/**
 * The document with every schema converted: components.schemas and components.responses, and
 * the schemas of `paths.*.*.responses.*.content.*` (examples kept as they are).
 */
export const toJsonSchemaDocument = (document: JsonObject, closed: boolean): JsonObject => {
  const members = compositionMembers(document);
  const components = (document.components ?? {}) as JsonObject;
  const convertResponse = (response: Json): Json => {
    if (!isObject(response) || !isObject(response.content)) return response;
    return {
      ...response,
      content: Object.fromEntries(
        Object.entries(response.content).map(([type, media]) => [
          type,
          isObject(media) && media.schema !== undefined
            ? { ...media, schema: convertSchema(media.schema, { closed, member: false }) }
            : media,
        ]),
      ),
    };
  };
  const paths = Object.fromEntries(
    Object.entries((document.paths ?? {}) as JsonObject).map(([path, item]) => [
      path,
      Object.fromEntries(
        Object.entries(item as JsonObject).map(([method, operation]) => [
          method,
          isObject(operation) && isObject(operation.responses)
            ? {
                ...operation,
                responses: Object.fromEntries(
                  Object.entries(operation.responses).map(([status, response]) => [status, convertResponse(response)]),
                ),
              }
            : operation,
        ]),
      ),
    ]),
  );
  return {
    ...document,
    paths,
    components: {
      ...components,
      ...(components.schemas
        ? {
            schemas: Object.fromEntries(
              Object.entries(components.schemas as JsonObject).map(([name, schema]) => [
                name,
                convertSchema(schema, { closed, name, member: members.has(name) }),
              ]),
            ),
          }
        : {}),
      ...(components.responses
        ? {
            responses: Object.fromEntries(
              Object.entries(components.responses as JsonObject).map(([name, response]) => [name, convertResponse(response)]),
            ),
          }
        : {}),
    },
  };
};

/** A JSON pointer into an OpenAPI document: `['paths', '/x', 'get', …]` → `#/paths/~1x/get/…`. */
export const pointer = (...segments: string[]): string =>
  `#/${segments.map((segment) => segment.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

export interface Conformance {
  /** Type, enum, pattern, format and `required` errors (the schema as published, open). */
  errors: string[];
  /** Properties the body has and the spec does not declare (the schema closed). */
  undeclared: string[];
}

export interface SpecValidator {
  /** Checks `body` against the schema at `at` (a pointer into the vendored document). */
  check(at: string, body: unknown): Conformance;
}

const describeErrors = (errors: ErrorObject[] | null | undefined): string[] => [
  ...new Set(
    (errors ?? []).map(
      (error) =>
        `${error.instancePath || '/'} ${error.message ?? error.keyword}${error.keyword === 'enum' ? ` (${JSON.stringify(error.params.allowedValues)})` : ''} [schema ${error.schemaPath}]`,
    ),
  ),
];

/**
 * Validators for one vendored document. `formats`: the provider's own string formats (Twilio's
 * `date-time-rfc-2822`, …); ajv-formats supplies the standard ones.
 */
export const specValidator = (document: object, formats: Record<string, Format> = {}): SpecValidator => {
  const make = (closed: boolean) => {
    const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true, validateFormats: true, logger: false });
    addFormats(ajv);
    for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, format);
    ajv.addSchema(toJsonSchemaDocument(document as JsonObject, closed), 'spec');
    const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
    return (at: string) => {
      let validate = compiled.get(at);
      if (!validate) compiled.set(at, (validate = ajv.compile({ $ref: `spec${at}` })));
      return validate;
    };
  };
  const open = make(false);
  const closed = make(true);
  return {
    check(at, body) {
      const validateOpen = open(at);
      const validateClosed = closed(at);
      const openErrorCount = (value: unknown) => (validateOpen(value) ? 0 : (validateOpen.errors ?? []).length);
      const errors = validateOpen(body) ? [] : describeErrors(validateOpen.errors);
      /** JSON pointers of the properties closed validation reports as not declared. */
      const reported = (value: unknown): string[] =>
        validateClosed(value)
          ? []
          : [
              ...new Set(
                (validateClosed.errors ?? [])
                  .filter((error) => error.keyword === 'unevaluatedProperties')
                  .map(
                    (error) =>
                      `${error.instancePath}/${String((error.params as { unevaluatedProperty?: string }).unevaluatedProperty)
                        .replace(/~/g, '~0')
                        .replace(/\//g, '~1')}`,
                  ),
              ),
            ];
      const candidates = reported(body);
      if (candidates.length === 0) return { errors, undeclared: [] };
      // Inside a union (anyOf/oneOf) one undeclared property fails every member, and each member then
      // reports the properties it does not declare itself: noise. Find the undeclared ones proper:
      // remove every candidate that can go without new errors (deepest first), then put back each
      // one that, back in the body, is not reported.
      const work = structuredClone(body) as Json;
      const baseline = openErrorCount(work);
      const removed: [string, Json][] = [];
      for (const path of [...candidates].sort((a, b) => b.split('/').length - a.split('/').length)) {
        const taken = take(work, path);
        if (taken === undefined) continue;
        if (openErrorCount(work) > baseline) put(work, path, taken.value);
        else removed.push([path, taken.value]);
      }
      const undeclared: string[] = [];
      for (const [path, value] of [...removed].reverse()) {
        put(work, path, value);
        if (reported(work).includes(path)) {
          take(work, path);
          undeclared.push(path);
        }
      }
      return { errors, undeclared: undeclared.sort() };
    },
  };
};

const segmentsOf = (path: string) =>
  path
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
const parentOf = (root: Json, path: string): [JsonObject | Json[], string] | undefined => {
  const segments = segmentsOf(path);
  let node: Json | undefined = root;
  for (const segment of segments.slice(0, -1))
    node = Array.isArray(node) ? node[Number(segment)] : isObject(node) ? node[segment] : undefined;
  return isObject(node) || Array.isArray(node) ? [node, segments.at(-1)!] : undefined;
};
/** Removes the property at `path` (a JSON pointer), returning it, or undefined when there is none. */
const take = (root: Json, path: string): { value: Json } | undefined => {
  const found = parentOf(root, path);
  if (!found || !isObject(found[0]) || !(found[1] in found[0])) return undefined;
  const value = found[0][found[1]]!;
  delete found[0][found[1]];
  return { value };
};
const put = (root: Json, path: string, value: Json): void => {
  const found = parentOf(root, path);
  if (found && isObject(found[0])) found[0][found[1]] = value;
};

/** A readable failure message: what the spec says, per problem. */
export const report = (what: string, result: Conformance): string =>
  [
    `${what} disagrees with the published schema:`,
    ...result.errors.map((error) => `  - ${error}`),
    ...result.undeclared.map((path) => `  - ${path}: a property the spec does not declare (no additional properties)`),
  ].join('\n');

/** Twilio's string formats, as its OpenAPI documents use them. */
export const TWILIO_FORMATS: Record<string, Format> = {
  // "Thu, 24 Aug 2023 05:01:45 +0000" (RFC 2822, section 3.3; Twilio always writes GMT as +0000).
  'date-time-rfc-2822': (value: string) =>
    /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/.test(
      value,
    ) && !Number.isNaN(Date.parse(value)),
  // E.164, a channel address (whatsapp:+…), a short code or an alphanumeric sender ID (the schema's description).
  'phone-number': (value: string) => /^(\+[1-9]\d{1,14}|[a-z]+:\S+|\d{3,8}|[A-Za-z0-9 ]{1,11})$/.test(value),
  // ISO 4217: "USD" (Twilio's examples also write it in lower case).
  currency: (value: string) => /^[A-Za-z]{3}$/.test(value),
  // An object format (the values are URIs): Ajv formats check strings only, so nothing to check here.
  'uri-map': true,
  // api_v2010's URIs are relative to https://api.twilio.com (its descriptions and its own examples).
  uri: (value: string) => /^(\/[^\s]*|https?:\/\/[^\s]+)$/.test(value),
};

/** OpenAI's number formats: `unixtime` (seconds since the epoch). */
export const OPENAI_FORMATS: Record<string, Format> = {
  unixtime: { type: 'number', validate: (value: number) => Number.isFinite(value) && value >= 0 },
};
