import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';

export interface QueueSettings {
  /** The queue's real visibility timeout: a record's lease and each heartbeat extension. */
  visibilityTimeoutSeconds: number;
  /** The RedrivePolicy's maxReceiveCount: undefined when the queue has no DLQ. */
  maxReceiveCount?: number;
}

/**
 * The queue's settings as SQS reports them (docs/processing.md step 3), read once per container,
 * so a worker never assumes what serverless.yml declared. A queue that reports no visibility
 * timeout is a wiring fault: the container fails its first batch loudly instead of guessing.
 */
export const readQueueSettings = async (sqs: SQSClient, queueUrl: string): Promise<QueueSettings> => {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }),
  );
  const seconds = Number(Attributes?.VisibilityTimeout);
  if (!Number.isInteger(seconds) || seconds <= 0) throw new Error(`Queue ${queueUrl} reported no VisibilityTimeout`);
  const maxReceiveCount = Attributes?.RedrivePolicy
    ? Number((JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount?: unknown }).maxReceiveCount)
    : NaN;
  return { visibilityTimeoutSeconds: seconds, ...(Number.isInteger(maxReceiveCount) && maxReceiveCount > 0 ? { maxReceiveCount } : {}) };
};

/** What a leased worker's environment says of its timing (its serverless.yml), in seconds. */
export interface LeasedWorkerEnv {
  heartbeatIntervalSeconds: number;
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  recordDeadlineSeconds: number;
}

/** The queue's settings and the worker's own timing as a leased worker (compose, the senders) takes them. */
export const leasedWorkerConfig = (settings: QueueSettings, env: LeasedWorkerEnv) => ({
  visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
  maxReceiveCount: settings.maxReceiveCount,
  heartbeatIntervalMs: env.heartbeatIntervalSeconds * 1000,
  retryBackoffBaseSeconds: env.retryBackoffBaseSeconds,
  retryBackoffMaxSeconds: env.retryBackoffMaxSeconds,
  recordDeadlineMs: env.recordDeadlineSeconds * 1000,
});
