import type { ErrorObject } from 'ajv';

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
