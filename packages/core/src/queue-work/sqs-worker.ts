import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsClient } from '../aws/clients';
import { createLogger } from '../observability/logger';
import { createTracing, Tracing } from '../observability/tracing';
import { QueueActions, queueRecordOf, RetryLater, settleRecord, sqsQueueActions } from './queue-actions';
import type { RecordOutcome } from './queue-outcomes';
import type { ProcessingMetrics, QueueRecord } from './queue-record';
import { QueueSettings, readQueueSettings } from './queue-settings';

/** What a worker's wiring gets, once per container: observability, the queue and its settings. */
export interface WorkerContext {
  logger: Logger;
  metrics: ProcessingMetrics;
  tracing: Tracing;
  /** An AWS SDK client with X-Ray subsegments when tracing is on. */
  instrument: <T>(client: T) => T;
  sqs: SQSClient;
  queue: QueueActions;
  settings: QueueSettings;
}

/** One record's work: every record ends in an outcome of the queue-outcomes table. */
export type RecordWork = (record: QueueRecord) => Promise<RecordOutcome>;

export interface SqsWorkerOptions<Config extends { queueUrl: string }> {
  serviceName: string;
  /** A FIFO queue: records in order, and a record that must go again fails every later one of the batch with it. */
  fifo?: boolean;
  /** Extra metric dimensions (a sender's channel). */
  dimensions?: Record<string, string>;
  /** The function's configuration (its serverless.yml environment), read once per container. */
  readConfig(): Config;
  /** The production wiring of the record's work, built once per container. */
  createWork(config: Config, context: WorkerContext): Promise<RecordWork> | RecordWork;
}

/**
 * The Lambda handler under every queue worker (compose, reply, the senders): SQS batch → the
 * worker's record work → the outcome settled on the queue (queue-actions.ts) → batchItemFailures
 * (the event sources report batch item failures, so only failed records come back). A standard
 * queue's records are independent and run in parallel; a FIFO queue's run in order with
 * Powertools' SqsFifoPartialProcessor, which fails the rest of the batch after a failure so that
 * no later message of a group overtakes an earlier one. A wiring that fails (a queue that cannot
 * be read) is built again on the next record.
 */
export const createSqsWorker = <Config extends { queueUrl: string }>(options: SqsWorkerOptions<Config>) => {
  const logger = createLogger(options.serviceName);
  // EMF metrics (structured log lines, no API call); namespace from POWERTOOLS_METRICS_NAMESPACE.
  const metrics = new Metrics({
    serviceName: options.serviceName,
    defaultDimensions: { ...options.dimensions, stage: process.env.STAGE ?? 'local' },
  });
  const tracing = createTracing(options.serviceName);
  const count: ProcessingMetrics = {
    count: (name, value = 1) => metrics.addMetric(name, name.endsWith('Ms') ? MetricUnit.Milliseconds : MetricUnit.Count, value),
  };
  let wiring: Promise<{ work: RecordWork; queue: QueueActions }> | undefined;

  const wire = async () => {
    const config = options.readConfig();
    const instrument = <T>(client: T): T => tracing.instrument(client);
    const sqs = createSqsClient({ instrument });
    const settings = await readQueueSettings(sqs, config.queueUrl);
    const queue = sqsQueueActions(sqs, config.queueUrl, { fifo: options.fifo === true });
    const work = await options.createWork(config, { logger, metrics: count, tracing, instrument, sqs, queue, settings });
    return { work, queue };
  };

  const handleRecord = async (record: SQSRecord) => {
    wiring ??= wire().catch((error: unknown) => {
      wiring = undefined; // try again on the next record
      throw error;
    });
    const { work, queue } = await wiring;
    try {
      await settleRecord(record, await work(queueRecordOf(record)), queue, logger);
    } catch (error) {
      if (!(error instanceof RetryLater)) logger.error('Record failed unexpectedly; the queue offers it again', { error: error as Error });
      throw error;
    }
  };

  const processor = options.fifo ? new SqsFifoPartialProcessorAsync() : new BatchProcessor(EventType.SQS);
  const handle = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, processor, {
      context,
      throwOnFullBatchFailure: false,
      ...(options.fifo ? {} : { processInParallel: true }),
    });

  return middy<SQSEvent, SQSBatchResponse>(handle)
    .use(tracing.middleware())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
};
