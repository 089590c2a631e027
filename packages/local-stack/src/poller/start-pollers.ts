import type { Echo } from '../processes/child-process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalDeployment, resolveInService } from '../cloudformation/deploy-locally';
import { REPO_ROOT, ServiceTemplate } from '../cloudformation/service-template';
import { ManagedProcess, startProcess } from '../processes/child-process';

// tsx as a loader of this very process (not its CLI, which would start a second node process):
// one process per container, so that SIGKILL hits the handler itself and its RSS is the function's.
const TSX_LOADER = pathToFileURL(join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

export interface PollerOptions {
  deployment: LocalDeployment;
  region: string;
  stage: string;
  /** The stack's environment (SDK endpoints, credentials, provider URLs). */
  env: Record<string, string>;
  /** Values for the local stack only, on top of the function's declared environment. */
  overrides?: Record<string, string>;
  echo?: Echo;
  logFile?: string;
  /**
   * Containers per function (default 2). As in Lambda, a container runs one invocation at a time
   * (module state such as Powertools' BatchProcessor is not built for more); concurrency comes
   * from more containers.
   */
  containers?: number;
  /** Containers for some services instead (by service name without the `ai-multi-comms-` prefix, e.g. `reply`). */
  containersOf?: Record<string, number>;
  /** Node flags for the poller processes, e.g. `--cpu-prof` (see profilingFlags). */
  nodeFlags?: string[];
}

export interface Poller {
  name: string;
  config: Record<string, unknown>;
  env: Record<string, string>;
  /** The function's containers: one process each, one batch at a time. */
  processes: ManagedProcess[];
  /** SIGKILL every container mid-work (as crashed Lambda containers), then fresh ones. */
  crashAndRestart(): Promise<void>;
  /** Stop taking messages (SIGTERM: in-flight batches get 3 s), e.g. while `pnpm bench` loads the router alone. */
  pause(): Promise<void>;
  /** Fresh containers after pause(), with `env` on top of the function's (e.g. `pnpm bench` turning the governor off). */
  resume(env?: Record<string, string>): void;
  stop(): Promise<void>;
}

/**
 * A container's young generation kept small (semi-spaces of 4 MiB instead of V8's 16): a batch's
 * garbage is small and short-lived, and with 14–18 containers on a machine the default's room
 * added up to about a third of the local stack's memory (bench, issue 30).
 */
const POLLER_NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * One poller per SQS-triggered function of the given services, each run as `containers`
 * processes with the environment its serverless.yml declares (CloudFormation values resolved
 * against the local deployment).
 */
export const startPollers = (templates: ServiceTemplate[], options: PollerOptions): Poller[] => {
  const pollers: Poller[] = [];
  for (const template of templates) {
    for (const [functionName, fn] of Object.entries(template.functions)) {
      const sqsEvent = fn.events?.find((event) => event.sqs)?.sqs;
      if (!sqsEvent) continue;
      if (sqsEvent.functionResponseType !== 'ReportBatchItemFailures') {
        throw new Error(`${template.service}.${functionName}: the SQS event must use ReportBatchItemFailures`);
      }
      const resolve = (value: unknown) => resolveInService(options.deployment, template.service, value, options.region);
      const declared: Record<string, string> = Object.fromEntries(
        Object.entries({ ...template.environment, ...(fn.environment ?? {}) })
          .map(([name, value]): [string, string] => [name, String(resolve(value))])
          .filter(([, value]) => value !== ''), // empty = "use the provider's real host": the stack's URLs apply
      );
      const queueArn = String(resolve(sqsEvent.arn));
      const queueName = queueArn.split(':').pop()!;
      const queueUrl = Object.values(options.deployment.resources[template.service] ?? {}).find(
        (r) => r.attributes.QueueName === queueName,
      )?.ref;
      if (!queueUrl) throw new Error(`${template.service}.${functionName}: queue ${queueArn} is not deployed locally`);
      const [handlerPath, handlerExport] = [
        fn.handler.slice(0, fn.handler.lastIndexOf('.')),
        fn.handler.slice(fn.handler.lastIndexOf('.') + 1),
      ];
      const config = {
        name: `${template.service}.${functionName}`,
        functionName: `${template.service}-${options.stage}-${functionName}`,
        queueUrl,
        queueArn,
        handlerFile: join(template.directory, `${handlerPath}.ts`),
        handlerExport,
        batchSize: sqsEvent.batchSize ?? 10,
        timeoutSeconds: fn.timeout ?? 6,
      };
      const env = { ...options.env, ...declared, ...(options.overrides ?? {}), POLLER_CONFIG: JSON.stringify(config) };
      const spawn = (extraEnv: Record<string, string> = {}) =>
        startProcess(
          template.service.replace('ai-multi-comms-', ''),
          process.execPath,
          [...POLLER_NODE_FLAGS, ...(options.nodeFlags ?? []), '--import', TSX_LOADER, join(__dirname, 'poller-main.ts')],
          {
            cwd: template.directory,
            env: { ...process.env, ...env, ...extraEnv },
            echo: options.echo,
            logFile: options.logFile,
          },
        );
      const count = options.containersOf?.[template.service.replace('ai-multi-comms-', '')] ?? options.containers ?? 2;
      const containers = (extraEnv?: Record<string, string>) => Array.from({ length: count }, () => spawn(extraEnv));
      const poller: Poller = {
        name: config.name,
        config,
        env,
        processes: containers(),
        async crashAndRestart() {
          await Promise.all(poller.processes.map((container) => container.kill()));
          poller.processes = containers();
        },
        async pause() {
          await poller.stop();
        },
        resume(extraEnv) {
          poller.processes = containers(extraEnv);
        },
        async stop() {
          await Promise.all(poller.processes.map((container) => container.stop()));
        },
      };
      pollers.push(poller);
    }
  }
  return pollers;
};
