import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

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
}

const instrumented = <T>(client: T, options: ClientOptions): T => (options.instrument ? options.instrument(client) : client);

const region = (options: ClientOptions) => options.region ?? process.env.AWS_REGION ?? 'us-east-1';

export const createDynamoDocumentClient = (options: ClientOptions = {}): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(instrumented(new DynamoDBClient({ region: region(options), maxAttempts: options.maxAttempts ?? 3 }), options), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });

export const createSqsClient = (options: ClientOptions = {}): SQSClient =>
  // Queue URLs name a host of their own (fauxqs: sqs.<region>.localhost); always send to the
  // configured endpoint instead, which in AWS is the same regional endpoint anyway.
  instrumented(new SQSClient({ region: region(options), maxAttempts: options.maxAttempts ?? 3, useQueueUrlAsEndpoint: false }), options);

export const createSecretsManagerClient = (options: ClientOptions = {}): SecretsManagerClient =>
  instrumented(new SecretsManagerClient({ region: region(options), maxAttempts: options.maxAttempts ?? 3 }), options);
