import type { RecordOutcome } from '../queue-work/queue-outcomes';
import type { QueueRecord } from '../queue-work/queue-record';
import { beginRecordRun } from '../queue-work/record-run';
import { deliverAnswer, recordOptOutInTheirWords } from './answering/after-the-ai';
import { answerTurn } from './answering/answer-turn';
import { coalesceWithLater, stopBeforeTheAi } from './answering/before-the-ai';
import { holdUnanswerable } from './answering/hold-reply';
import { loadReply, readReplyTask } from './answering/load-reply';
import type { ReplyRun } from './answering/reply-attempt';
import type { ReplyDeps } from './answering/reply-deps';
import { recordReplyFailure } from './answering/record-reply-failure';
import { sendAgentMessage } from './answering/send-agent-message';
import { storeInbound } from './answering/store-inbound';

export * from './answering/reply-deps';

/**
 * The reply step (docs/processing.md "Replies"), for one message of the FIFO reply queue, whose
 * group is the thread: so this runs for one reply of a thread at a time, in arrival order, on
 * every channel. The person's message goes on its conversation (once), then, unless it is not
 * for the AI (a keyword, automatic mail, a human's conversation, an opted-out person), is
 * answered with a later one, or must go to a person first: one AI turn on the shared thread
 * (stored before anything is sent, so a retry never takes it twice), the hand-off and task flags,
 * and the answer to the channel's sender, which delivers it exactly once as message
 * `reply#<inbound id>`. Every way out goes through the queue-outcomes table.
 */
export const answerReply = async (record: QueueRecord, deps: ReplyDeps): Promise<RecordOutcome> => {
  const recordRun = beginRecordRun(record, deps);
  const task = readReplyTask(recordRun);
  if ('outcome' in task) return task;
  const run: ReplyRun = { ...recordRun, deps, step: 'read' };
  try {
    const attempt = await loadReply(run, task);
    if ('outcome' in attempt) return attempt;
    if (attempt.inbound.intent === 'agent') return await sendAgentMessage(attempt);
    await storeInbound(attempt);
    const reply = await holdUnanswerable(attempt);
    if ('outcome' in reply) return reply;
    const stopped = (await coalesceWithLater(reply)) ?? (await stopBeforeTheAi(reply));
    if (stopped) return stopped;
    const answer = await answerTurn(reply);
    if (answer?.opt_out) return await recordOptOutInTheirWords(reply);
    return await deliverAnswer(reply, answer);
  } catch (error) {
    return recordReplyFailure(run, error);
  }
};
