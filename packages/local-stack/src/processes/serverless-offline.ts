import type { Echo } from './child-process';
import { join } from 'node:path';
import { REPO_ROOT, SERVERLESS_BIN } from '../cloudformation/service-template';
import { ManagedProcess, startProcess } from './child-process';
import { waitFor } from './free-port';

export interface OfflineOptions {
  serviceDirectory: string;
  stage: string;
  httpPort: number;
  lambdaPort: number;
  websocketPort: number;
  params: Record<string, string>;
  env: Record<string, string>;
  echo?: Echo;
  /** Append the function's output (its structured logs) to this file. */
  logFile?: string;
  /** Node flags for the serverless-offline process (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Leave the API-key check to a gate in front (api-key-gate.ts), which reads new keys without a restart. */
  noAuth?: boolean;
}

/**
 * serverless-offline running a service exactly as its serverless.yml declares it (API keys,
 * private endpoints, CORS), bundled by serverless-esbuild. Values from other stacks arrive as
 * `--param`, the same names the YAML imports from CloudFormation exports in AWS.
 */
export const startServerlessOffline = async (options: OfflineOptions): Promise<{ url: string; process: ManagedProcess }> => {
  const args = [
    ...(options.nodeFlags ?? []),
    SERVERLESS_BIN,
    'offline',
    'start',
    '--stage',
    options.stage,
    '--host',
    '127.0.0.1',
    '--httpPort',
    String(options.httpPort),
    '--lambdaPort',
    String(options.lambdaPort),
    '--websocketPort',
    String(options.websocketPort),
    '--noTimeout',
    '--useInProcess',
    ...(options.noAuth ? ['--noAuth'] : []),
    ...Object.entries(options.params).flatMap(([name, value]) => ['--param', `${name}=${value}`]),
  ];
  const managed = startProcess('api', process.execPath, args, {
    cwd: join(REPO_ROOT, 'services', options.serviceDirectory),
    env: {
      ...process.env,
      ...options.env,
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      FORCE_COLOR: '0',
      // serverless-esbuild's esbuild service (a Go process) kept 1.3 GB after bundling the router's
      // functions for the whole run (bench, issue 30): a soft memory limit makes Go collect and return it.
      GOMEMLIMIT: '256MiB',
    },
    echo: options.echo,
    logFile: options.logFile,
  });
  const url = `http://127.0.0.1:${options.httpPort}`;
  try {
    await waitFor(
      `serverless-offline (${options.serviceDirectory})`,
      async () => {
        if (managed.child.exitCode !== null) throw new Error('exited');
        const response = await fetch(`${url}/${options.stage}/__ready`, { method: 'GET' });
        return response.status > 0;
      },
      120_000,
      250,
    );
  } catch (error) {
    await managed.stop();
    throw new Error(`serverless-offline failed to start:\n${managed.output().slice(-3000)}`, { cause: error });
  }
  return { url, process: managed };
};
