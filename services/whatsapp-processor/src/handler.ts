import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { processRecord } from '@ai-multi-comms/core';
import { createDefaultDeps, logger, metrics, ProcessorDeps, tracer } from './dependencies';

/** Thrown for a record the queue should offer again; the batch processor reports it in batchItemFailures. */
class RetryLater extends Error {}

/**
 * SQS batch → processRecord per record → batchItemFailures (the event source is configured
 * with ReportBatchItemFailures, so only failed records come back). Records of a batch are
 * independent: one record's failure never fails the others.
 */
export const createHandler = (depsFactory: () => Promise<ProcessorDeps>) => {
  let depsPromise: Promise<ProcessorDeps> | undefined;
  const processor = new BatchProcessor(EventType.SQS);

  const handleRecord = async (record: SQSRecord) => {
    depsPromise ??= depsFactory().catch((error: unknown) => {
      depsPromise = undefined; // try again on the next record
      throw error;
    });
    const deps = await depsPromise;
    const outcome = await processRecord(
      {
        messageId: record.messageId,
        receiptHandle: record.receiptHandle,
        body: record.body,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
      },
      deps.processing,
    );
    if (outcome.outcome === 'retry') {
      await deps.delayRetry(record.receiptHandle, outcome.delaySeconds).catch((error: unknown) =>
        logger.warn('Could not shorten the retry delay; the queue visibility timeout applies', { error: error as Error }),
      );
      throw new RetryLater(outcome.reason);
    }
  };

  const handle = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false, processInParallel: true });

  return middy<SQSEvent, SQSBatchResponse>(handle)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
};

export const handler = createHandler(createDefaultDeps);
