import middy from '@middy/core';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createLogger } from '../../observability/logger';
import { createTracing } from '../../observability/tracing';
import { ChannelAdapter } from '../channel-adapter';
import { processRecord } from '../process-record';
import { createProcessorDeps, ProcessorDeps } from './processor-dependencies';
import { queueRecordOf, settleRecord } from './queue-actions';

/**
 * The Lambda handler of a channel processor: SQS batch → processRecord per record →
 * batchItemFailures (the event source reports batch item failures, so only failed records come
 * back). Records of a batch are independent: one record's failure never fails the others.
 * A channel service's handler.ts is one call to this with its adapter.
 */
export const createChannelHandler = <Credentials extends Record<string, string>>(
  channel: ChannelAdapter<Credentials>,
  options: { serviceName: string; depsFactory?: () => Promise<ProcessorDeps<Credentials>> },
) => {
  const logger = createLogger(options.serviceName);
  // EMF metrics (structured log lines, no API call); namespace from POWERTOOLS_METRICS_NAMESPACE.
  const metrics = new Metrics({ serviceName: options.serviceName, defaultDimensions: { channel: channel.channel, stage: process.env.STAGE ?? 'local' } });
  const tracing = createTracing(options.serviceName);
  const depsFactory = options.depsFactory ?? (() => createProcessorDeps(channel, { logger, metrics, tracing }));
  let depsPromise: Promise<ProcessorDeps<Credentials>> | undefined;
  const processor = new BatchProcessor(EventType.SQS);

  const handleRecord = async (record: SQSRecord) => {
    depsPromise ??= depsFactory().catch((error: unknown) => {
      depsPromise = undefined; // try again on the next record
      throw error;
    });
    const deps = await depsPromise;
    const outcome = await processRecord(queueRecordOf(record), deps.processing);
    await settleRecord(record, outcome, deps.queue, logger);
  };

  const handle = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
    processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false, processInParallel: true });

  return middy<SQSEvent, SQSBatchResponse>(handle)
    .use(tracing.middleware())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics));
};
