import { AppError } from '../../errors/app-error';
import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import type { RecordRun } from '../../queue-work/record-run';
import type { ReplyTask } from '../types';
import type { ReplyAttempt, ReplyRun } from './reply-attempt';

const FINISHED = new Set(['answered', 'held', 'opted_out', 'opted_in', 'failed']);

/** Validate: the queue message names one inbound message. */
export const readReplyTask = (run: RecordRun): ReplyTask | RecordOutcome => {
  try {
    const value = JSON.parse(run.record.body) as Partial<ReplyTask>;
    if (typeof value.inbound_id === 'string' && value.inbound_id.length > 0) {
      run.logger.appendKeys({ inbound_id: value.inbound_id });
      return { inbound_id: value.inbound_id };
    }
  } catch {
    // not JSON: malformed, below
  }
  run.logger.error('Malformed reply task', { message_id: run.record.messageId });
  return run.conclude('malformed', 'not a reply task');
};

/** The inbound message, linked and not yet finished (a finished one is a redelivery), with its conversation. */
export const loadReply = async (run: ReplyRun, task: ReplyTask): Promise<ReplyAttempt | RecordOutcome> => {
  const inbound = await run.deps.inbound.get(task.inbound_id);
  run.inbound = inbound;
  if (!inbound?.conversation) {
    run.logger.error('The reply task names no linked inbound message');
    return run.conclude('malformed', 'inbound message missing or unlinked');
  }
  if (FINISHED.has(inbound.inbound_status)) return run.conclude('duplicate', `already ${inbound.inbound_status}`);
  const conversation = await run.deps.conversations.get(inbound.conversation);
  if (!conversation) throw new AppError('permanent', 'CONVERSATION_NOT_FOUND', 'The linked conversation no longer exists.');
  run.logger.appendKeys({ conversation_id: conversation.conversation_id, channel: inbound.channel });
  return Object.assign(run, { inbound: inbound as ReplyAttempt['inbound'], conversation });
};
