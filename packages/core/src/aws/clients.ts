import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';

/**
 * SDK clients, created once per container. Endpoints come from the SDK's own
 * AWS_ENDPOINT_URL_<SERVICE> variables (set only by the local stack), so there is no
 * "if local" branch anywhere in the code.
 */
export interface ClientOptions {
  region?: string;
  /** Retries the SDK itself makes for throttling and 5xx; keep small on request paths. */
  maxAttempts?: number;
  /** Wraps the low-level client, e.g. Powertools Tracer's captureAWSv3Client for X-Ray subsegments. */
  instrument?: <T>(client: T) => T;
  /**
   * Per attempt: the longest wait for a connection, and for the answer once connected. The SDK
   * sets neither by default, so a hanging endpoint holds the call until the Lambda times out
   * (a router answering API Gateway's bare 502, a processor holding its record and batch).
   */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Tests only: an endpoint of their own (otherwise AWS_ENDPOINT_URL_<SERVICE>, or AWS's). */
  endpoint?: string;
}

/**
 * DynamoDB, SQS and Secrets Manager answer in milliseconds; one second to connect and five to
 * answer leave room for a slow moment, and keep a hung call (× maxAttempts) far inside the
 * processors' record deadline. The router passes shorter ones to fit its 10 s timeout.
 */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 1_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

const instrumented = <T>(client: T, options: ClientOptions): T => (options.instrument ? options.instrument(client) : client);

const region = (options: ClientOptions) => options.region ?? process.env.AWS_REGION ?? 'us-east-1';

/** The settings every client shares: region, retries, timeouts, endpoint (tests). */
const common = (options: ClientOptions) => ({
  region: region(options),
  maxAttempts: options.maxAttempts ?? 3,
  requestHandler: {
    connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    // Without it a breached requestTimeout is only a logged warning and the call goes on waiting
    // (@smithy/node-http-handler 4: found by the router's hanging-dependency test).
    throwOnRequestTimeout: true,
  },
  ...(options.endpoint ? { endpoint: options.endpoint } : {}),
});

export const createDynamoDocumentClient = (options: ClientOptions = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(instrumented(new DynamoDBClient(common(options)), options), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });

export const createSqsClient = (options: ClientOptions = {}): SQSClient =>
  // Queue URLs name a host of their own (fauxqs: sqs.<region>.localhost); always send to the
  // configured endpoint instead, which in AWS is the same regional endpoint anyway.
  instrumented(new SQSClient({ ...common(options), useQueueUrlAsEndpoint: false }), options);

export const createSecretsManagerClient = (options: ClientOptions = {}): SecretsManagerClient =>
  instrumented(new SecretsManagerClient(common(options)), options);

export const createSnsClient = (options: ClientOptions = {}): SNSClient => instrumented(new SNSClient(common(options)), options);
