import { createSqsWorker } from '../../queue-work/sqs-worker';
import { ChannelAdapter } from '../channel-adapter';
import { processRecord } from '../process-record';
import { createProcessingDeps } from './processor-dependencies';
import { readProcessorConfig } from './processor-config';

/**
 * The Lambda handler of a channel processor: the queue worker (queue-work/sqs-worker.ts) over
 * processRecord, records of a batch in parallel and independent. A channel service's handler.ts
 * is one call to this with its adapter.
 */
export const createChannelHandler = <Credentials extends Record<string, string>>(
  channel: ChannelAdapter<Credentials>,
  options: { serviceName: string },
) =>
  createSqsWorker({
    serviceName: options.serviceName,
    dimensions: { channel: channel.channel },
    readConfig: readProcessorConfig,
    createWork: (config, context) => {
      const deps = createProcessingDeps(channel, config, context);
      return (record) => processRecord(record, deps);
    },
  });
