import { parseContextObject } from '../../context-object/parse';
import { openAiLimit } from '../../governor/limits';
import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import type { RecordRun } from '../../queue-work/record-run';
import type { ComposeRequest } from '../compose-attempt';
import { threadKeyReference } from '../first-message';
import { threadKeyOf } from '../types';

/** Validate: the Context Object, and what the later steps derive from it. A broken one is retried, then parked in the DLQ. */
export const readComposeRequest = (run: RecordRun): ComposeRequest | RecordOutcome => {
  const { record, logger } = run;
  let contextObject;
  try {
    contextObject = parseContextObject(record.body);
  } catch (error) {
    logger.error('Malformed Context Object', {
      message_id: record.messageId,
      receive_count: record.receiveCount,
      reason: (error as Error).message,
    });
    return run.conclude('malformed', (error as Error).message.slice(0, 500));
  }
  const request = contextObject.frontend_payload;
  const channels = request.request_data.channel_method;
  logger.appendKeys({
    request_id: request.request_data.request_id,
    trace_id: contextObject.metadata.trace_id,
    channels: channels.join(','),
  });
  const keyReference = threadKeyReference(contextObject);
  return {
    contextObject,
    channels,
    threadKey: threadKeyOf(request.company_data.company_id, request.company_data.project_id, request.request_data.request_id),
    keyReference,
    aiLimit: keyReference
      ? openAiLimit(
          keyReference,
          channels.map((channel) => contextObject.company_data_payload.ai_config.openai_config[channel]),
        )
      : undefined,
    metadata: { request_id: request.request_data.request_id, trace_id: contextObject.metadata.trace_id.slice(0, 512) },
  };
};
