import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { QueueEvent } from '@ai-multi-comms/local-stack';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** What the global setup's stack wrote once ready. */
export interface StackState {
  pid: number;
  stage: string;
  env: Record<string, string>;
  resources: Record<string, string>;
  /** Every service's CloudFormation outputs: service → output name → value. */
  outputs: Record<string, Record<string, string>>;
  apiBaseUrl: string;
  providersUrl: string;
  demoApiKeys: { companyA: string; companyB: string };
  /** The console the start command serves (packages/console). */
  consoleUrl: string;
}

export const stackState = (): StackState => {
  const file = process.env.LOCAL_STACK_STATE;
  if (!file) throw new Error('No local stack: these tests need the global setup (do not set LOCAL_STACK=off)');
  return JSON.parse(readFileSync(file, 'utf8')) as StackState;
};

/** Point this process's SDK clients at the stack (the same variables the handlers get). */
export const useStackEnvironment = (): StackState => {
  const state = stackState();
  Object.assign(process.env, state.env);
  return state;
};

export const stackClients = (state: StackState) => {
  const config = { region: state.env.AWS_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  const dynamodb = new DynamoDBClient({ ...config, endpoint: state.env.AWS_ENDPOINT_URL_DYNAMODB });
  return {
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    sqs: new SQSClient({ ...config, endpoint: state.env.AWS_ENDPOINT_URL_SQS, useQueueUrlAsEndpoint: false }),
    destroy() {
      dynamodb.destroy();
      this.sqs.destroy();
    },
  };
};

/**
 * A test file's view of the run's local stack: its state (endpoints, resource names; the
 * environment is set for the SDKs) and SDK clients on it, destroyed after the file's tests.
 * Call it at the top of the file: the global setup has started the stack before any file loads.
 */
export const useLocalStack = () => {
  const state = useStackEnvironment();
  const clients = stackClients(state);
  afterAll(() => clients.destroy());
  return { state, clients };
};

export interface ApiResponse {
  status: number;
  headers: Headers;
  json: Record<string, unknown> & { validation_errors?: { field: string; message: string }[] };
  text: string;
}

export const postInitiate = async (
  state: StackState,
  body: unknown,
  options: { apiKey?: string | null; headers?: Record<string, string>; rawBody?: string | Buffer } = {},
): Promise<ApiResponse> => {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...options.headers };
  const apiKey = options.apiKey === undefined ? state.demoApiKeys.companyA : options.apiKey;
  if (apiKey !== null) headers['x-api-key'] = apiKey;
  const response = await fetch(`${state.apiBaseUrl}/initiate-conversation`, {
    method: 'POST',
    headers,
    body: options.rawBody ?? JSON.stringify(body),
    // A hung API should fail the test with this message, not with jest's generic timeout.
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let json: ApiResponse['json'] = {};
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON; the test asserts on text
  }
  return { status: response.status, headers: response.headers, json, text };
};

/** A valid request body for demo company A, with a fresh request_id; `patch` edits a deep copy. */
export const validBody = (patch?: (body: Record<string, any>) => void, channel = 'whatsapp'): Record<string, any> => {
  const body: Record<string, any> = {
    company_data: { company_id: 'ci-aaa-001', project_id: 'pi-aaa-001' },
    recipient_data: {
      recipient_first_name: 'John',
      recipient_last_name: 'Doe',
      recipient_tel: '+447700900123',
      recipient_email: 'john.doe@example.com',
      comms_consent: true,
    },
    project_data: { jobID: '9999', jobRole: 'Healthcare Assistant', clarificationPoints: [{ point: 'Night shifts?' }] },
    request_data: { request_id: randomUUID(), channel_method: channel, initial_request_timestamp: '2025-09-15T11:45:32.789Z' },
  };
  patch?.(body);
  return body;
};

/** What a queue saw (published, consumed, moved to the DLQ), from the stack's control plane; looking consumes nothing. */
export const queueEvents = async (
  state: StackState,
  filter: { queueUrl?: string; status?: QueueEvent['status']; conversationId?: string },
): Promise<QueueEvent[]> => {
  const query = new URLSearchParams();
  if (filter.queueUrl) query.set('queue', filter.queueUrl.split('/').pop()!);
  if (filter.status) query.set('status', filter.status);
  if (filter.conversationId) query.set('conversationId', filter.conversationId);
  const response = await fetch(`${state.providersUrl}/__queue-events?${query}`);
  return ((await response.json()) as { events: QueueEvent[] }).events;
};

/** Wait until at least `count` such events exist (or the timeout passes); returns what was seen. */
export const waitForQueueEvents = async (
  state: StackState,
  filter: Parameters<typeof queueEvents>[1],
  count = 1,
  timeoutMs = 10_000,
): Promise<QueueEvent[]> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const events = await queueEvents(state, filter);
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

export interface RecordedProviderRequest {
  seq: number;
  provider: 'openai' | 'twilio' | 'sendgrid';
  route: string;
  method: string;
  path: string;
  query: Record<string, string>;
  auth: string | null;
  body: any;
  status: number;
  fault: boolean;
}

/** Requests the local provider servers received, optionally only those mentioning `mentioning` (a number, a request id). */
export const providerRequests = async (
  state: StackState,
  filter: { provider?: string; route?: string; mentioning?: string } = {},
): Promise<RecordedProviderRequest[]> => {
  const query = new URLSearchParams();
  if (filter.provider) query.set('provider', filter.provider);
  if (filter.route) query.set('route', filter.route);
  const { requests } = (await (await fetch(`${state.providersUrl}/__requests?${query}`)).json()) as { requests: RecordedProviderRequest[] };
  return filter.mentioning ? requests.filter((r) => JSON.stringify([r.body, r.query]).includes(filter.mentioning!)) : requests;
};

export const addFault = async (state: StackState, rule: Record<string, unknown>): Promise<void> => {
  const response = await fetch(`${state.providersUrl}/__faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(rule),
  });
  if (response.status !== 201) throw new Error(`fault not accepted: ${response.status}`);
};

/** A recipient number no other test uses, so provider requests and faults can be told apart. */
export const uniqueTel = (): string => `+4479${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll until `probe` returns a value (not undefined), or fail with `what`. */
export const eventually = async <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
};
