import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** One answer of the API as the local stack's API-key gate recorded it (processes/api-key-gate.ts). */
export interface RecordedResponse {
  method: string;
  /** The path under the stage: `/initiate-conversation`, `/conversations/ci…%23…/messages`. */
  path: string;
  status: number;
  contentType?: string;
  headers?: Record<string, string>;
  /** The JSON body, when the answer was JSON. */
  body?: unknown;
}

type Operation = {
  responses: Record<string, { content?: Record<string, { schema: object }>; headers?: Record<string, { schema: object }> }>;
};

export const OPENAPI_FILE = join(__dirname, '..', '..', '..', '..', 'docs', 'openapi.json');

/**
 * Real answers held to the OpenAPI document (docs/openapi.json): the path and method are one of
 * its operations, the status one of that operation's responses, the content type one it declares,
 * a declared header matches its schema, and a JSON body validates against its schema (Ajv, JSON
 * Schema 2020-12 as OpenAPI 3.1 takes it). Returns why an answer is outside the document, or undefined.
 */
export const openApiContract = (
  document: { paths: Record<string, Record<string, Operation>> } = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8')),
) => {
  const ajv = new Ajv2020({ allErrors: true, strict: false, allowUnionTypes: true });
  addFormats(ajv, ['email', 'date-time', 'uri']);
  ajv.addSchema({ ...document, $id: 'openapi.json' });
  const routes = Object.entries(document.paths).map(([template, operations]) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    operations,
  }));
  const compiled = new Map<string, ValidateFunction>();
  const validatorFor = (pointer: string, schema: object) => {
    let validate = compiled.get(pointer);
    if (!validate) {
      const rebased = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi.json#/components/')) as object;
      validate = ajv.compile(rebased);
      compiled.set(pointer, validate);
    }
    return validate;
  };
  return (answer: RecordedResponse): string | undefined => {
    const route = routes.find((r) => r.pattern.test(answer.path.split('?')[0]!));
    if (!route) return `${answer.method} ${answer.path}: no such path in the document`;
    const operation = route.operations[answer.method.toLowerCase()];
    if (!operation) return `${answer.method} ${route.template}: no such operation in the document`;
    const response = operation.responses[String(answer.status)] ?? operation.responses.default;
    if (!response) return `${answer.method} ${route.template} answered ${answer.status}, which the document does not list`;
    const where = `${answer.method} ${route.template} ${answer.status}`;
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = answer.headers?.[name.toLowerCase()];
      if (value === undefined) continue;
      const validate = validatorFor(`${where} header ${name}`, header.schema);
      if (!validate(/^\d+$/.test(value) ? Number(value) : value)) return `${where}: header ${name} ${ajv.errorsText(validate.errors)}`;
    }
    if (!response.content) return answer.contentType ? `${where}: a body the document does not declare` : undefined;
    const type = (answer.contentType ?? '').split(';')[0]!.trim();
    const content = response.content[type];
    if (!content) return `${where}: content type ${type || '(none)'} is not one of ${Object.keys(response.content).join(', ')}`;
    if (type !== 'application/json') return undefined;
    const validate = validatorFor(`${where} ${type}`, content.schema);
    return validate(answer.body)
      ? undefined
      : `${where}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(answer.body).slice(0, 300)}`;
  };
};
