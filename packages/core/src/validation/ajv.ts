import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

/**
 * One Ajv instance for the process, made on first use (a function whose validators are all
 * compiled ahead of time, context-object/standalone-validators.ts, never pays for it): schemas known only at run
 * time (the AI's structured outputs, the onboarding file) are compiled here. `allErrors` because
 * clients get every problem, not the first. Same options as the ahead-of-time validators.
 */
let ajv: Ajv | undefined;
const instance = (): Ajv => {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
    addFormats(ajv, ['email', 'date-time', 'uri']);
  }
  return ajv;
};

export const compileSchema = <T>(schema: object): ValidateFunction<T> => instance().compile<T>(schema);
export type { ErrorObject, ValidateFunction };
export { fieldOf } from './field-of';
