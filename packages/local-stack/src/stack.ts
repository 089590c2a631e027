import { readableLogLine } from './processes/readable-log';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoCompanyRepository, dynamoSenderDirectory } from '@ai-multi-comms/core';
import { deployLocally, LocalDeployment, resolveImportedParams } from './cloudformation/deploy-locally';
import { readServiceTemplate, REPO_ROOT } from './cloudformation/service-template';
import {
  DEMO_API_KEYS,
  DEMO_INBOUND_EMAIL_DOMAIN,
  DEMO_INBOUND_PARSE,
  DEMO_SENDGRID_EVENT_PRIVATE_KEY,
  demoSecrets,
  demoSendGridEventsPaths,
  demoTwilioContents,
  demoTwilioNumbers,
} from './demo/demo-data';
import { seedDemoData } from './demo/seed';
import { ManagedProcess } from './processes/child-process';
import { privateRoutesOf, startApiKeyGate } from './processes/api-key-gate';
import { dataFolders, keepProviderState } from './processes/kept-data';
import { startDynamoDbLocal } from './processes/dynamodb-local';
import { startCountingProxy } from './processes/counting-proxy';
import { startFauxqs } from './processes/fauxqs';
import { freePort } from './processes/free-port';
import { startServerlessOffline } from './processes/serverless-offline';
import { Poller, startPollers } from './poller/start-pollers';
import { ProviderServers, startProviderServers } from './provider-servers/provider-server';
import { startSecretsManagerServer } from './secrets-manager-server';

export interface LocalStackPorts {
  dynamodb: number;
  sqs: number;
  secrets: number;
  providers: number;
  api: number;
  lambda: number;
  websocket: number;
}

/** README.md "The local stack"'s default ports. */
export const DEFAULT_PORTS: LocalStackPorts = {
  dynamodb: 8000,
  sqs: 4566,
  secrets: 4584,
  providers: 4010,
  api: 3000,
  lambda: 3002,
  websocket: 3001,
};

/** Deployed in this order, as in AWS: each may import what the ones before it export (services/deploy-order.json). */
export const SERVICES: readonly string[] = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'services/deploy-order.json'), 'utf8')) as { services: string[] }
).services;

export interface LocalStackOptions {
  /** 'random' picks free ports (tests, or a second stack beside a running one). */
  ports?: Partial<LocalStackPorts> | 'random';
  stage?: string;
  region?: string;
  seedDemo?: boolean;
  /** Print serverless-offline's output (the function's logs) prefixed with [api]. */
  echoApi?: boolean;
  /** With echoApi: the functions' JSON lines as they are, instead of one readable line per step of a message's journey. */
  jsonLogs?: boolean;
  /** Append the function's logs to this file (tests scan it). */
  apiLogFile?: string;
  /** API keys the API accepts besides the demo keys. */
  extraApiKeys?: { name: string; value: string }[];
  /** Record every answer of the API, one JSON line each, in this file (the tests' contract check). */
  apiRecordFile?: string;
  /** A JSON file of `{name, value}` keys (`pnpm api-key create --local` writes it), read again whenever it changes. */
  apiKeysFile?: string;
  /**
   * Reliability testing only: a shorter visibility timeout on the channel queues (and heartbeat),
   * so that crashed work comes back in seconds; DynamoDB Local data in files so it survives a
   * restart; and the control routes POST /__chaos/crash-pollers and /__chaos/restart-dynamodb.
   */
  chaos?: { visibilityTimeoutSeconds: number; heartbeatSeconds: number; dynamoDbPath: string };
  /**
   * Keep the data across restarts, in this folder (`pnpm start`'s .local-stack/data): DynamoDB
   * Local's files, fauxqs's SQLite, the secrets, and what the local providers hold (messages,
   * mails, OpenAI conversations). Default: everything in memory (tests, the bench).
   */
  dataDir?: string;
  /** Containers (processes) per processor function; default 2. */
  containersPerFunction?: number;
  /** Containers per function of some services instead (e.g. `{ reply: 1 }`). */
  containersOfService?: Record<string, number>;
  /** Write V8 CPU profiles (`--cpu-prof`) of the pollers and serverless-offline here, on stop. */
  cpuProfileDir?: string;
  /** Put a counting pass-through in front of each AWS emulator (`pnpm bench`'s AWS calls per conversation). */
  countAwsCalls?: boolean;
  /**
   * Whether the local Twilio and SendGrid send every send's status callbacks by themselves
   * (default true; `/__simulate/…/status|events` work either way). `pnpm bench` turns them off:
   * on two cores, 3–4 extra router invocations per message would measure serverless-offline.
   */
  providerCallbacks?: boolean;
  log?: (line: string) => void;
}

export interface LocalStack {
  stage: string;
  region: string;
  ports: LocalStackPorts;
  /** The environment a process needs to talk to this stack (SDK endpoints, credentials, provider URLs). */
  env: Record<string, string>;
  /** Table names and queue URLs by the router's param names (companyDataTable, whatsappQueueUrl, …) and conversationsTable. */
  resources: Record<string, string>;
  deployment: LocalDeployment;
  apiBaseUrl: string;
  providerServers: ProviderServers;
  /** One per SQS-triggered processor function: the local stand-in for Lambda's event source. */
  pollers: Poller[];
  /** serverless-offline, which runs the router's handlers in its worker threads. */
  apiProcess: ManagedProcess;
  demoApiKeys: typeof DEMO_API_KEYS;
  /** With `countAwsCalls`: the calls the emulators received, by service and operation, and the emulators' own endpoints (for reads that should not count). */
  awsCalls?: { counts(): Record<string, number>; reset(): void; directEnv: Record<string, string> };
  stop(): Promise<void>;
}

const resolvePorts = async (option: LocalStackOptions['ports']): Promise<LocalStackPorts> => {
  if (option === 'random') {
    const entries = await Promise.all(Object.keys(DEFAULT_PORTS).map(async (name) => [name, await freePort()] as const));
    return Object.fromEntries(entries) as unknown as LocalStackPorts;
  }
  return { ...DEFAULT_PORTS, ...(option ?? {}) };
};

/** Credentials the demo secrets hold, so the provider servers accept exactly what the secrets say. */
const providerCredentialsFrom = (secrets: Record<string, Record<string, string>>, stage: string) => {
  const values = Object.values(secrets);
  return {
    twilio_numbers: demoTwilioNumbers(stage),
    openai_keys: values.map((s) => s.ai_api_key).filter((v): v is string => Boolean(v)),
    twilio_accounts: Object.fromEntries(
      values.filter((s) => s.twilio_account_sid).map((s) => [s.twilio_account_sid!, s.twilio_auth_token!]),
    ),
    sendgrid_keys: values.map((s) => s.sendgrid_api_key).filter((v): v is string => Boolean(v)),
    twilio_contents: demoTwilioContents(stage),
  };
};

/** Node flags that make a process write its CPU profile (every thread's) into dir when it exits. */
const profilingFlags = (dir: string | undefined): string[] => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);

/** What `pnpm start` prints of the functions' logs (processes/readable-log.ts). */
const functionLogEcho = (options: { echoApi?: boolean; jsonLogs?: boolean }) =>
  !options.echoApi ? false : options.jsonLogs ? true : readableLogLine;

export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
  const stage = options.stage ?? 'dev';
  const region = options.region ?? 'us-east-1';
  const log = options.log ?? (() => undefined);
  const ports = await resolvePorts(options.ports);
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    stoppers.length = 0;
  };

  const dynamoProcess: { current: ManagedProcess } = { current: undefined as unknown as ManagedProcess };
  try {
    log("reading the services' CloudFormation (serverless print)…");
    const templatesPromise = Promise.all(SERVICES.map((service) => readServiceTemplate(service, stage)));
    log(
      `starting DynamoDB Local :${ports.dynamodb}, fauxqs :${ports.sqs}, Secrets Manager :${ports.secrets}, providers :${ports.providers}…`,
    );
    const data = options.dataDir ? dataFolders(options.dataDir) : undefined;
    const [dynamo, fauxqs, secrets, providers] = await Promise.all([
      startDynamoDbLocal(ports.dynamodb, options.chaos?.dynamoDbPath ?? data?.dynamodb).then((started) => {
        stoppers.push(() => dynamoProcess.current.stop());
        dynamoProcess.current = started.process;
        return started;
      }),
      startFauxqs(ports.sqs, data?.queues).then((started) => {
        stoppers.push(() => started.stop());
        return started;
      }),
      startSecretsManagerServer(ports.secrets, region, data?.secrets).then((started) => {
        stoppers.push(() => started.stop());
        return started;
      }),
      startProviderServers(ports.providers, providerCredentialsFrom(demoSecrets(stage), stage)).then((started) => {
        stoppers.push(() => started.stop());
        if (data) stoppers.push(keepProviderState(started, data.providers));
        return started;
      }),
    ]);

    // GET /__queue-events?queue=<name>&status=published|consumed|dlq&conversationId=…: what the queues saw.
    providers.addControlRoute('GET /__queue-events', (request) => {
      const queue = request.query.get('queue');
      const status = request.query.get('status');
      const conversationId = request.query.get('conversationId');
      const events = fauxqs
        .queueEvents()
        .filter((event) => (!queue || event.queueName === queue) && (!status || event.status === status))
        .filter(
          (event) =>
            !conversationId ||
            event.messageAttributes.conversationId?.StringValue === conversationId ||
            event.body.includes(JSON.stringify(conversationId)),
        );
      return { status: 200, body: { events } };
    });

    const proxies = options.countAwsCalls
      ? await Promise.all([dynamo.endpoint, fauxqs.endpoint, secrets.endpoint].map((endpoint) => startCountingProxy(endpoint, 0)))
      : undefined;
    for (const proxy of proxies ?? []) stoppers.push(() => proxy.stop());
    const [dynamoEndpoint, fauxqsEndpoint, secretsEndpoint] = proxies?.map((proxy) => proxy.endpoint) ?? [
      dynamo.endpoint,
      fauxqs.endpoint,
      secrets.endpoint,
    ];
    const env: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint!,
      AWS_ENDPOINT_URL_SQS: fauxqsEndpoint!,
      AWS_ENDPOINT_URL_SNS: fauxqsEndpoint!,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsEndpoint!,
      OPENAI_BASE_URL: `${providers.url}/v1`,
      TWILIO_API_BASE_URL: providers.url,
      SENDGRID_API_BASE_URL: providers.url,
    };
    const clientConfig = { region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    const clients = {
      dynamodb: new DynamoDBClient({ ...clientConfig, endpoint: dynamo.endpoint }),
      sqs: new SQSClient({ ...clientConfig, endpoint: fauxqs.endpoint, useQueueUrlAsEndpoint: false }),
      sns: new SNSClient({ ...clientConfig, endpoint: fauxqs.endpoint }),
    };
    const secretsClient = new SecretsManagerClient({ ...clientConfig, endpoint: secrets.endpoint });
    stoppers.push(async () => {
      clients.dynamodb.destroy();
      clients.sqs.destroy();
      clients.sns.destroy();
      secretsClient.destroy();
    });

    const templates = await templatesPromise;
    log("creating tables, queues and topics from the services' Resources…");
    // The public URL the providers sign and post their webhooks to (WEBHOOK_BASE_URL); in AWS the
    // router's export of its execute-api URL, here serverless-offline's.
    const webhookBaseUrl = `http://127.0.0.1:${ports.api}/${stage}`;
    const deployment = await deployLocally(templates, clients, {
      region,
      stage,
      exports: { [`ai-multi-comms-router-${stage}-WebhookBaseUrl`]: webhookBaseUrl },
    });
    const router = templates.find((template) => template.directory.endsWith('router'))!;
    const dataOutputs = deployment.outputs['ai-multi-comms-data'] ?? {};
    const resources: Record<string, string> = {
      ...resolveImportedParams(router.params, deployment.exports),
      conversationsTable: dataOutputs.ConversationsTableName!,
      messagesTable: dataOutputs.MessagesTableName!,
      optOutsTable: dataOutputs.OptOutsTableName!,
      threadsTable: dataOutputs.ThreadsTableName!,
      inboundMessagesTable: dataOutputs.InboundMessagesTableName!,
      senderAddressesTable: dataOutputs.SenderAddressesTableName!,
      deliveryEventsTable: dataOutputs.DeliveryEventsTableName!,
      idempotencyTable: dataOutputs.IdempotencyTableName!,
      erasureAuditTable: dataOutputs.ErasureAuditTableName!,
      // Every queue by its service's short name: whatsappQueueUrl, composeQueueUrl…
      ...Object.fromEntries(
        Object.entries(deployment.outputs)
          .filter(([, outputs]) => outputs.QueueUrl)
          .map(([service, outputs]) => [`${service.replace('ai-multi-comms-', '').replace('-processor', '')}QueueUrl`, outputs.QueueUrl!]),
      ),
    };

    if (options.seedDemo !== false) {
      log('seeding the demo companies and secrets through the onboarding code…');
      const documents = DynamoDBDocumentClient.from(clients.dynamodb);
      await seedDemoData({
        companies: dynamoCompanyRepository(documents, resources.companyDataTable!),
        senders: dynamoSenderDirectory(documents, resources.senderAddressesTable!),
        secrets: secretsClient,
        stage,
        // The chaos run checks messages, not client events: no endpoint (nothing is POSTed) there.
        ...(options.chaos ? {} : { clientEventsUrl: `${providers.url}/__client-events/receive` }),
      });
    }

    const processors = templates.filter((template) => Object.keys(template.functions).length > 0 && !template.directory.endsWith('router'));
    if (options.chaos) {
      for (const template of processors) {
        const queueUrl = deployment.outputs[template.service]?.QueueUrl;
        if (queueUrl) {
          await clients.sqs.send(
            new SetQueueAttributesCommand({
              QueueUrl: queueUrl,
              Attributes: { VisibilityTimeout: String(options.chaos.visibilityTimeoutSeconds) },
            }),
          );
        }
      }
    }
    log(`starting the queue pollers (${processors.map((t) => t.service.replace('ai-multi-comms-', '')).join(', ') || 'none'})…`);
    const pollers = startPollers(processors, {
      deployment,
      region,
      stage,
      env,
      // Locally a retried message comes back after 1, 2, 4 s rather than 30, 60, 120 s.
      overrides: {
        RETRY_BACKOFF_BASE_SECONDS: '1',
        POWERTOOLS_TRACE_ENABLED: 'false',
        // The e-mail sender's Reply-To domain (the local Inbound Parse posts come back through the simulator).
        INBOUND_EMAIL_DOMAIN: DEMO_INBOUND_EMAIL_DOMAIN,
        // Under chaos, retries are spaced (3, 6, 12 s) to outlast a DynamoDB Local restart, as
        // AWS's 30 s base outlasts a blip, instead of parking messages in the DLQ during it.
        // And an e-mail send killed before SendGrid took it waits 20 s, not 15 min, for the
        // SendGrid event that will not come (the local SendGrid's events come within a second):
        // the chaos run ends in minutes, and the rule it checks (never a second mail) is the same.
        ...(options.chaos
          ? {
              // The chaos run checks messages, not client events: no events, so it measures what it checks.
              CLIENT_EVENTS_QUEUE_URL: '',
              HEARTBEAT_INTERVAL_SECONDS: String(options.chaos.heartbeatSeconds),
              RETRY_BACKOFF_BASE_SECONDS: '3',
              EMAIL_CONFIRMATION_WAIT_SECONDS: '20',
            }
          : {}),
      },
      echo: functionLogEcho(options),
      logFile: options.apiLogFile,
      nodeFlags: profilingFlags(options.cpuProfileDir),
      containers: options.containersPerFunction,
      containersOf: options.containersOfService,
    });
    stoppers.push(async () => {
      await Promise.all(pollers.map((poller) => poller.stop()));
    });

    if (options.chaos) {
      providers.addControlRoute('POST /__chaos/crash-pollers', async () => {
        await Promise.all(pollers.map((poller) => poller.crashAndRestart()));
        return { status: 200, body: { crashed: pollers.map((poller) => poller.name) } };
      });
      providers.addControlRoute('POST /__chaos/restart-dynamodb', async () => {
        await dynamoProcess.current.kill();
        dynamoProcess.current = (await startDynamoDbLocal(ports.dynamodb, options.chaos!.dynamoDbPath)).process;
        return { status: 200, body: { restarted: 'dynamodb' } };
      });
    }

    log(`starting the API (serverless-offline) on :${ports.api}…`);
    const offlinePort = await freePort();
    const api = await startServerlessOffline({
      serviceDirectory: 'router',
      stage,
      httpPort: offlinePort,
      noAuth: true,
      lambdaPort: ports.lambda,
      websocketPort: ports.websocket,
      // No X-Ray daemon locally: tracing off (the only local-only setting of the router).
      params: {
        ...resources,
        webhookBaseUrl,
        tracingEnabled: 'false',
        esbuildWorkFolder: `.esbuild-local-${ports.api}`,
      },
      env: {
        ...env,
        LOCAL_API_KEYS: JSON.stringify([
          { name: 'demo-ci-aaa-001', value: DEMO_API_KEYS.companyA },
          { name: 'demo-ci-bbb-001', value: DEMO_API_KEYS.companyB },
          ...(options.extraApiKeys ?? []),
        ]),
      },
      echo: functionLogEcho(options),
      logFile: options.apiLogFile,
      nodeFlags: profilingFlags(options.cpuProfileDir),
    });
    const gate = await startApiKeyGate({
      port: ports.api,
      target: api.url,
      routes: privateRoutesOf(router.functions, stage),
      keys: [DEMO_API_KEYS.companyA, DEMO_API_KEYS.companyB, ...(options.extraApiKeys ?? []).map((key) => key.value)],
      keysFile: options.apiKeysFile,
      recordFile: options.apiRecordFile,
    });
    stoppers.push(() => gate.stop());
    providers.configureWebhooks({
      baseUrl: webhookBaseUrl,
      parseCredentials: { ...DEMO_INBOUND_PARSE },
      sendGridEventKey: DEMO_SENDGRID_EVENT_PRIVATE_KEY,
      sendGridEventsPaths: demoSendGridEventsPaths(stage),
      automaticCallbacks: options.providerCallbacks !== false,
    });
    stoppers.push(async () => {
      await api.process.stop();
      rmSync(join(REPO_ROOT, 'services', 'router', `.esbuild-local-${ports.api}`), { recursive: true, force: true });
    });

    return {
      stage,
      region,
      ports,
      env,
      resources,
      deployment,
      apiBaseUrl: `${gate.url}/${stage}`,
      providerServers: providers,
      pollers,
      apiProcess: api.process,
      demoApiKeys: DEMO_API_KEYS,
      ...(proxies
        ? {
            awsCalls: {
              counts: () => Object.assign({}, ...proxies.map((proxy) => proxy.counts())) as Record<string, number>,
              reset: () => proxies.forEach((proxy) => proxy.reset()),
              directEnv: {
                ...env,
                AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
                AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
                AWS_ENDPOINT_URL_SNS: fauxqs.endpoint,
                AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
              },
            },
          }
        : {}),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};

export type { ManagedProcess };
