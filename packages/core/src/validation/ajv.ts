import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * One Ajv instance for the process: compiled validators are cached by schema, so each schema is
 * compiled once per cold start. `allErrors` because clients get every problem, not the first.
 */
const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
addFormats(ajv, ['email', 'date-time', 'uri']);

export const compileSchema = <T>(schema: object): ValidateFunction<T> => ajv.compile<T>(schema);
export type { ErrorObject, ValidateFunction };

/** Turn an Ajv instance path (`/recipient_data/recipient_tel`) into the dotted field name clients see. */
export const fieldOf = (error: ErrorObject): string => {
  const base = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
  const child =
    error.keyword === 'required'
      ? (error.params as { missingProperty: string }).missingProperty
      : error.keyword === 'additionalProperties'
        ? (error.params as { additionalProperty: string }).additionalProperty
        : undefined;
  if (child === undefined) return base === '' ? '(body)' : base;
  return base === '' ? child : `${base}.${child}`;
};
