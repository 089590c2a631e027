import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Repository root, found from this file (packages/local-stack/src/cloudformation). */
export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
export const SERVERLESS_BIN = join(REPO_ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js');

export interface ServiceTemplate {
  service: string;
  directory: string;
  params: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  Conditions: Record<string, unknown>;
  /** provider.environment, unresolved CloudFormation values included. */
  environment: Record<string, unknown>;
  functions: Record<string, ServiceFunction>;
}

export interface ServiceFunction {
  handler: string;
  timeout?: number;
  environment?: Record<string, unknown>;
  events?: { sqs?: { arn: unknown; batchSize?: number; functionResponseType?: string } }[];
}

export interface CfnResource {
  Type: string;
  Condition?: string;
  Properties?: Record<string, unknown>;
}

/**
 * A service's configuration exactly as the Serverless Framework resolves it (`serverless print`),
 * so the local stack reads the very Resources and Outputs that AWS gets.
 */
export const readServiceTemplate = async (
  serviceDirectory: string,
  stage: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServiceTemplate> => {
  const directory = join(REPO_ROOT, 'services', serviceDirectory);
  const { stdout } = await run(process.execPath, [SERVERLESS_BIN, 'print', '--stage', stage, '--format', 'json'], {
    cwd: directory,
    env: { ...env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const config = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
    service: string;
    params?: Record<string, Record<string, unknown>>;
    provider?: { environment?: Record<string, unknown>; timeout?: number };
    functions?: Record<string, ServiceFunction>;
    resources?: { Resources?: ServiceTemplate['Resources']; Outputs?: ServiceTemplate['Outputs']; Conditions?: Record<string, unknown> };
  };
  return {
    service: config.service,
    directory,
    params: { ...(config.params?.default ?? {}), ...(config.params?.[stage] ?? {}) },
    Resources: config.resources?.Resources ?? {},
    Outputs: config.resources?.Outputs ?? {},
    Conditions: config.resources?.Conditions ?? {},
    environment: config.provider?.environment ?? {},
    functions: Object.fromEntries(
      Object.entries(config.functions ?? {}).map(([name, fn]) => [name, { ...fn, timeout: fn.timeout ?? config.provider?.timeout }]),
    ),
  };
};
