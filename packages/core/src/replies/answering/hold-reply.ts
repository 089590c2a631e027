import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import type { AnswerableReply, ReplyAttempt } from './reply-attempt';

/** Stored on the conversation, deliberately not answered. */
export const holdReply = async (attempt: ReplyAttempt, why: string): Promise<RecordOutcome> => {
  await attempt.deps.inbound.finish(attempt.inbound.inbound_id, 'held', attempt.deps.clock.now());
  attempt.logger.info('Reply stored, not answered', { why });
  return attempt.conclude('held', why);
};

/**
 * Not for the AI: automatic mail, keywords (recorded by the webhook already), a human's
 * conversation, an opted-out person, a stopped project. Otherwise the reply with its project.
 */
export const holdUnanswerable = async (attempt: ReplyAttempt): Promise<AnswerableReply | RecordOutcome> => {
  const { inbound, conversation, deps, logger, conclude } = attempt;
  if (inbound.intent === 'automatic') {
    await deps.inbound.finish(
      inbound.inbound_id,
      'held',
      deps.clock.now(),
      `automatic mail: ${inbound.automatic_reason ?? 'auto-submitted'}`,
    );
    deps.metrics.count('AutomaticMailHeld');
    logger.info('Automatic mail (auto-responder, list or delivery report) stored on the conversation; never answered', {
      reason: inbound.automatic_reason,
    });
    return conclude('held', 'automatic mail');
  }
  if (inbound.intent !== 'reply') {
    await deps.inbound.finish(inbound.inbound_id, inbound.intent === 'opt_out' ? 'opted_out' : 'opted_in', deps.clock.now());
    logger.info('Opt-out keyword stored on the conversation; not answered', { intent: inbound.intent });
    return conclude('held', inbound.intent);
  }
  if (conversation.hand_off_to_human === true) {
    deps.metrics.count('RepliesForHuman');
    return holdReply(attempt, 'the conversation is with a human');
  }
  const companyId = String(conversation.company_id);
  if (await deps.optOuts.isOptedOut(companyId, inbound.channel, inbound.from_address)) return holdReply(attempt, 'the person opted out');
  const project = await deps.companies.get(companyId, String(conversation.project_id));
  if (!project || project.project_status !== 'active') return holdReply(attempt, 'the project is not active');
  return Object.assign(attempt, { project });
};
