import { AppError } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';

/**
 * Configuration is read from environment variables declared in each serverless.yml, once per cold
 * start, and validated: a missing or malformed variable fails with every problem listed, as a
 * CONFIGURATION_ERROR (a deployment fault, not the caller's).
 */
export type EnvReader<T> = (env: NodeJS.ProcessEnv, name: string) => T;

export class ConfigProblem extends Error {}

export const requiredString: EnvReader<string> = (env, name) => {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigProblem(`${name} is not set`);
  return value.trim();
};

export const optionalString: EnvReader<string | undefined> = (env, name) => {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

export const integer =
  (defaultValue: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): EnvReader<number> =>
  (env, name) => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return defaultValue;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigProblem(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
    }
    return value;
  };

/** "true" / "false" (default when unset). */
export const boolean =
  (defaultValue: boolean): EnvReader<boolean> =>
  (env, name) => {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') return defaultValue;
    if (raw !== 'true' && raw !== 'false') throw new ConfigProblem(`${name} must be "true" or "false", got "${raw}"`);
    return raw === 'true';
  };

/** Build a typed configuration object from a map of variable name → reader. */
export const readConfig = <T extends object>(
  readers: { [K in keyof T]: [envName: string, reader: EnvReader<T[K]>] },
  env: NodeJS.ProcessEnv = process.env,
): T => {
  const problems: string[] = [];
  const config = {} as T;
  for (const key of Object.keys(readers) as (keyof T)[]) {
    const [envName, reader] = readers[key];
    try {
      config[key] = reader(env, envName);
    } catch (error) {
      if (error instanceof ConfigProblem) problems.push(error.message);
      else throw error;
    }
  }
  if (problems.length > 0) {
    throw new AppError('permanent', ErrorCodes.CONFIGURATION_ERROR, `Invalid configuration: ${problems.join('; ')}`);
  }
  return config;
};

/** Read once, lazily: modules call `get()` at first use so that tests can set the environment first. */
export const lazy = <T>(factory: () => T): { get: () => T } => {
  let value: T | undefined;
  let loaded = false;
  return {
    get: () => {
      if (!loaded) {
        value = factory();
        loaded = true;
      }
      return value as T;
    },
  };
};
