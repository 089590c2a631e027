/**
 * `pnpm start`: the whole engine on this machine, in the foreground, with demo data.
 * Ctrl-C stops everything. Options:
 *   --random-ports        free ports instead of the defaults (run beside another stack)
 *   --console-port <n>    the console's port (default 4000; a free one with --random-ports)
 *   --state-file <path>   where to write the endpoints, env and resource names once ready
 *                         (default .local-stack/state.json, read by the operator scripts' --local)
 *   --quiet               no banner and no function logs; --no-api-logs hides the function logs only
 *   --json-logs           the functions' JSON log lines as they are (default: one readable line
 *                         per step of a message's journey, and every warning and error)
 *   --log-file <path>     also append the functions' logs, in full JSON, to this file
 *   --fresh               begin again: forget the data an earlier start kept (then demo data as new)
 *   --data-dir <dir>      where the data is kept across restarts (default .local-stack/data)
 *   --in-memory           keep nothing: every start begins empty (the tests' stacks)
 *   --record-api <file>   append every answer of the API to <file>, one JSON line each (the tests' contract check)
 *   --exit-with-parent    stop when the process that started this one exits
 *   --cpu-prof <dir>      the pollers and serverless-offline write V8 CPU profiles there on stop
 *   --chaos-dynamodb-path <dir> [--chaos-visibility-seconds 6] [--chaos-heartbeat-seconds 2]
 *                         reliability testing: short queue visibility, DynamoDB data in <dir>
 *                         (survives a restart), POST /__chaos/crash-pollers and /__chaos/restart-dynamodb
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { REPO_ROOT } from '../cloudformation/service-template';
import { LocalStack, startLocalStack } from '../stack';
import { startLocalConsole } from './local-console';

/** README.md "The local stack": the console's default port. */
const DEFAULT_CONSOLE_PORT = 4000;

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? args[index + 1] : undefined;
};

const banner = (stack: LocalStack, consoleUrl: string): string => {
  const body = (requestId: string, companyId: string, projectId: string, channel: string | string[]) =>
    JSON.stringify({
      company_data: { company_id: companyId, project_id: projectId },
      recipient_data: {
        recipient_first_name: 'John',
        recipient_last_name: 'Doe',
        recipient_tel: '+447700900123',
        recipient_email: 'john.doe@example.com',
        comms_consent: true,
      },
      project_data: { jobID: '9999', jobRole: 'Healthcare Assistant' },
      request_data: { request_id: requestId, channel_method: channel, initial_request_timestamp: '2025-09-15T11:45:32.789Z' },
    });
  const curl = (key: string, companyId: string, projectId: string, channel: string | string[] = 'whatsapp', requestId = randomUUID()) =>
    `curl -s -X POST ${stack.apiBaseUrl}/initiate-conversation \\\n  -H 'Content-Type: application/json' -H 'x-api-key: ${key}' \\\n  -d '${body(requestId, companyId, projectId, channel)}'`;
  const fanOutRequestId = randomUUID();
  const e = stack.env;
  return [
    '',
    '=== AI Multi-Communications Engine: local stack ready ===',
    `Console        ${consoleUrl}   (conversations, the person's WhatsApp/SMS/mailbox, a playground, the DLQs)`,
    `OpenAPI        ${consoleUrl}/openapi.json   reference: ${consoleUrl}/reference`,
    `API            ${stack.apiBaseUrl}/initiate-conversation`,
    `DynamoDB       ${e.AWS_ENDPOINT_URL_DYNAMODB}   tables: ${stack.resources.companyDataTable}, ai-multi-comms-conversations-${stack.stage}, …`,
    `SQS / SNS      ${e.AWS_ENDPOINT_URL_SQS}   queues: ${stack.resources.composeQueueUrl} → fan-out topic → whatsapp, sms, email`,
    `Secrets        ${e.AWS_ENDPOINT_URL_SECRETS_MANAGER}`,
    `Providers      ${stack.providerServers.url}   (OpenAI /v1, Twilio /2010-04-01, SendGrid /v3)`,
    '',
    `Demo API key, company ci-aaa-001 / pi-aaa-001:  ${stack.demoApiKeys.companyA}`,
    `Demo API key, company ci-bbb-001 / pi-bbb-001:  ${stack.demoApiKeys.companyB}`,
    '',
    'Reach one person on WhatsApp, SMS and e-mail with one AI thread (company A). Sending it again',
    'returns the same conversations and queues nothing new (idempotency); change request_id for a new one:',
    curl(stack.demoApiKeys.companyA, 'ci-aaa-001', 'pi-aaa-001', ['whatsapp', 'sms', 'email'], fanOutRequestId),
    '',
    "Then read it back (the thread, each channel's conversation, status and messages):",
    `curl -s '${stack.apiBaseUrl}/conversations?company_id=ci-aaa-001&project_id=pi-aaa-001&request_id=${fanOutRequestId}' -H 'x-api-key: ${stack.demoApiKeys.companyA}'`,
    '',
    'Reply as the person (the local Twilio and SendGrid post signed webhooks to the engine; each reply is answered on its channel):',
    `curl -s -X POST ${stack.providerServers.url}/__simulate/twilio/inbound -H 'Content-Type: application/json' -d '${JSON.stringify({ channel: 'whatsapp', from: '+447700900123', to: '+447700900001', body: 'Yes, I am interested! When can we talk?' })}'`,
    `curl -s -X POST ${stack.providerServers.url}/__simulate/sendgrid/inbound -H 'Content-Type: application/json' -d '${JSON.stringify({ from: 'john.doe@example.com', text: 'Is the role full time?' })}'`,
    '',
    'One channel, or every channel the project allows:',
    curl(stack.demoApiKeys.companyA, 'ci-aaa-001', 'pi-aaa-001', 'whatsapp'),
    curl(stack.demoApiKeys.companyA, 'ci-aaa-001', 'pi-aaa-001', 'all'),
    '',
    "Company B's key on company A's ids is refused with 403 API_KEY_NOT_AUTHORIZED:",
    curl(stack.demoApiKeys.companyB, 'ci-aaa-001', 'pi-aaa-001'),
    '',
    'Liveness (no I/O, same API key check):',
    `curl -s ${stack.apiBaseUrl}/health -H 'x-api-key: ${stack.demoApiKeys.companyA}'`,
    '',
    'Within seconds the compose step has written them on one OpenAI conversation and the senders have sent them. Then look at:',
    `  what the local Twilio received:  curl -s '${stack.providerServers.url}/__messages?provider=twilio'`,
    `  what the local SendGrid received: curl -s '${stack.providerServers.url}/__messages?provider=sendgrid'`,
    `  every provider request:          curl -s '${stack.providerServers.url}/__requests'`,
    "  the conversation item:           npx -y pnpm@9.15.9 conversation '<conversation_id from the response>' --local",
    '',
    'Ctrl-C stops everything.',
    '',
  ].join('\n');
};

const main = async () => {
  const quiet = flag('--quiet');
  const log = quiet ? () => undefined : (line: string) => console.log(`[local-stack] ${line}`);
  const stateFile = option('--state-file') ?? join(REPO_ROOT, '.local-stack', 'state.json');
  // Keys created by `pnpm api-key create --local`: the API's key check reads the file again whenever it changes.
  const apiKeysFile = join(dirname(stateFile), 'api-keys.json');
  // The data (DynamoDB, queues, secrets, what the local providers hold) is kept across restarts unless --in-memory.
  const dataDir = flag('--in-memory') ? undefined : resolve(option('--data-dir') ?? join(dirname(stateFile), 'data'));
  if (dataDir && flag('--fresh')) {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(apiKeysFile, { force: true });
    log(`--fresh: forgot the data in ${dataDir}`);
  } else if (dataDir && existsSync(dataDir)) log(`keeping the data in ${dataDir} (--fresh begins again)`);
  const chaosDir = option('--chaos-dynamodb-path');
  const chaos = chaosDir
    ? {
        visibilityTimeoutSeconds: Number(option('--chaos-visibility-seconds') ?? 6),
        heartbeatSeconds: Number(option('--chaos-heartbeat-seconds') ?? 2),
        dynamoDbPath: chaosDir,
      }
    : undefined;
  const stack = await startLocalStack({
    ports: flag('--random-ports') ? 'random' : undefined,
    echoApi: !flag('--no-api-logs') && !quiet,
    jsonLogs: flag('--json-logs'),
    apiLogFile: option('--log-file'),
    apiKeysFile,
    apiRecordFile: option('--record-api'),
    dataDir,
    chaos,
    cpuProfileDir: option('--cpu-prof'),
    log,
  });

  const consoleServer = await startLocalConsole(
    stack,
    option('--console-port') ? Number(option('--console-port')) : flag('--random-ports') ? 0 : DEFAULT_CONSOLE_PORT,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping…`);
    await consoleServer.stop();
    await stack.stop();
    log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // Started by a test runner: stop when it goes away, even if it was killed.
  if (flag('--exit-with-parent')) {
    const parent = process.ppid;
    setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        void shutdown('parent exited');
      }
    }, 1000).unref();
  }

  if (!quiet) console.log(banner(stack, consoleServer.url));
  // Written last: its appearance means "ready". Operator scripts run with --local read this to find the stack (tests pass their own file).
  mkdirSync(dirname(stateFile), { recursive: true });
  {
    writeFileSync(
      stateFile,
      JSON.stringify(
        {
          pid: process.pid,
          stage: stack.stage,
          ports: stack.ports,
          env: stack.env,
          resources: stack.resources,
          outputs: stack.deployment.outputs,
          apiBaseUrl: stack.apiBaseUrl,
          providersUrl: stack.providerServers.url,
          demoApiKeys: stack.demoApiKeys,
          consoleUrl: consoleServer.url,
        },
        null,
        2,
      ),
    );
  }
};

main().catch((error: unknown) => {
  console.error(`[local-stack] failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
