import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStackResourceCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/**
 * Where an operator command acts: the local stack (`--local`, endpoints from the state file that
 * `pnpm start` writes) or an AWS stage (`--stage dev`, names from the data stack's CloudFormation
 * outputs, credentials from the usual AWS environment/profile). Never a pasted table name.
 */
/** The service that owns a queue: `compose`, or a channel's sender. */
const serviceOf = (name: string) =>
  name === 'compose' || name === 'reply' || name === 'client-events' ? `ai-multi-comms-${name}` : `ai-multi-comms-${name}-processor`;

export interface Target {
  description: string;
  stage: string;
  companyDataTable: string;
  conversationsTable?: string;
  messagesTable?: string;
  threadsTable?: string;
  senderAddressesTable?: string;
  inboundMessagesTable?: string;
  deliveryEventsTable?: string;
  idempotencyTable?: string;
  optOutsTable?: string;
  erasureAuditTable?: string;
  /** Set for the local stack, so that clients created afterwards talk to the emulators. */
  env?: Record<string, string>;
  /** A channel's queue and dead-letter queue URLs (from that channel's stack outputs). */
  /** A channel's queue and DLQ, or the compose step's (`compose`). */
  queues(channel: string): Promise<{ queueUrl: string; deadLetterQueueUrl: string }>;
  /** The webhooks' public base URL (the router's WebhookBaseUrl output; the local API's URL). */
  webhookBaseUrl(): Promise<string | undefined>;
  /** The router's API Gateway usage plan id (AWS only). */
  usagePlanId?: () => Promise<string>;
  local: boolean;
}

export interface TargetOptions {
  local: boolean;
  stateFile?: string;
  /** Never defaulted: a command that writes must not land on an AWS stage nobody named. */
  stage?: string;
  region?: string;
}

/** The exit code of a command run without saying where (a usage error). */
export const NO_TARGET_EXIT = 2;
/** The exit code of a `--local` command when the local stack is not running. */
export const STACK_NOT_RUNNING_EXIT = 3;
/** The exit code of a command whose subject (project, conversation, key) does not exist. */
export const NOT_FOUND_EXIT = 4;

/** Whether anything answers HTTP at the endpoint (DynamoDB Local answers any request, even a bad one). */
const answers = async (endpoint: string) => {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
};

const REPO_ROOT = join(__dirname, '..', '..');

export const resolveTarget = async (options: TargetOptions): Promise<Target> => {
  if (!options.local && !options.stage) {
    console.error('Say where this command acts: --local (the local stack) or --stage <name> (an AWS stage). Nothing was done.');
    process.exit(NO_TARGET_EXIT);
  }
  if (options.local && options.stage) {
    console.error('Give --local or --stage <name>, not both. Nothing was done.');
    process.exit(NO_TARGET_EXIT);
  }
  if (options.local) {
    const file = options.stateFile ?? join(REPO_ROOT, '.local-stack', 'state.json');
    if (!existsSync(file)) throw new Error(`No local stack state at ${file}: start it first with \`pnpm start\`.`);
    const state = JSON.parse(readFileSync(file, 'utf8')) as {
      stage: string;
      env: Record<string, string>;
      resources: Record<string, string>;
      outputs: Record<string, Record<string, string>>;
      apiBaseUrl?: string;
    };
    // A stack that was stopped leaves its state file behind: say so, rather than fail later with a connection error.
    if (!(await answers(state.env.AWS_ENDPOINT_URL_DYNAMODB!))) {
      console.error(
        `The local stack is not running (nothing answers at ${state.env.AWS_ENDPOINT_URL_DYNAMODB}): start it with \`npx -y pnpm@9.15.9 start\`. Nothing was done.`,
      );
      process.exit(STACK_NOT_RUNNING_EXIT);
    }
    Object.assign(process.env, state.env);
    return {
      description: `the local stack (${state.env.AWS_ENDPOINT_URL_DYNAMODB})`,
      stage: state.stage,
      companyDataTable: state.resources.companyDataTable!,
      conversationsTable: state.resources.conversationsTable,
      messagesTable: state.resources.messagesTable,
      threadsTable: state.resources.threadsTable,
      senderAddressesTable: state.resources.senderAddressesTable,
      inboundMessagesTable: state.resources.inboundMessagesTable,
      deliveryEventsTable: state.resources.deliveryEventsTable,
      idempotencyTable: state.resources.idempotencyTable,
      optOutsTable: state.resources.optOutsTable,
      erasureAuditTable: state.resources.erasureAuditTable,
      webhookBaseUrl: async () => state.apiBaseUrl,
      env: state.env,
      local: true,
      queues: async (channel) => {
        const outputs = state.outputs[serviceOf(channel)];
        if (!outputs?.QueueUrl || !outputs.DeadLetterQueueUrl) throw new Error(`No ${channel} queue in the local stack`);
        return { queueUrl: outputs.QueueUrl, deadLetterQueueUrl: outputs.DeadLetterQueueUrl };
      },
    };
  }
  const stage = options.stage!;
  // Every SDK client this command creates later reads the region from the environment: --region reaches them all.
  if (options.region) process.env.AWS_REGION = options.region;
  const stackName = `ai-multi-comms-data-${stage}`;
  const client = new CloudFormationClient({ region: options.region ?? process.env.AWS_REGION });
  const outputsOf = async (name: string) => {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: name }));
    return Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue])) as Record<string, string | undefined>;
  };
  const outputs = await outputsOf(stackName);
  if (!outputs.CompanyDataTableName) throw new Error(`Stack ${stackName} has no CompanyDataTableName output: deploy services/data first.`);
  return {
    description: `AWS stage ${stage} (stack ${stackName})`,
    stage,
    companyDataTable: outputs.CompanyDataTableName,
    conversationsTable: outputs.ConversationsTableName,
    messagesTable: outputs.MessagesTableName,
    threadsTable: outputs.ThreadsTableName,
    senderAddressesTable: outputs.SenderAddressesTableName,
    inboundMessagesTable: outputs.InboundMessagesTableName,
    deliveryEventsTable: outputs.DeliveryEventsTableName,
    idempotencyTable: outputs.IdempotencyTableName,
    optOutsTable: outputs.OptOutsTableName,
    erasureAuditTable: outputs.ErasureAuditTableName,
    local: false,
    queues: async (channel) => {
      const channelOutputs = await outputsOf(`${serviceOf(channel)}-${options.stage}`);
      if (!channelOutputs.QueueUrl || !channelOutputs.DeadLetterQueueUrl)
        throw new Error(`The ${channel} stack of ${options.stage} has no queue outputs`);
      return { queueUrl: channelOutputs.QueueUrl, deadLetterQueueUrl: channelOutputs.DeadLetterQueueUrl };
    },
    webhookBaseUrl: async () =>
      (await outputsOf(`ai-multi-comms-router-${stage}`).catch(() => ({}) as Record<string, string | undefined>)).WebhookBaseUrl,
    usagePlanId: async () => {
      const { StackResourceDetail } = await client.send(
        new DescribeStackResourceCommand({ StackName: `ai-multi-comms-router-${options.stage}`, LogicalResourceId: 'ApiGatewayUsagePlan' }),
      );
      if (!StackResourceDetail?.PhysicalResourceId) throw new Error(`The router stack of ${options.stage} has no usage plan`);
      return StackResourceDetail.PhysicalResourceId;
    },
  };
};
