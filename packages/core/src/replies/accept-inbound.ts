import { WebhookLogger } from './webhook-secret';
import { ConversationItem } from '../conversations/types';
import { OptOutStore } from '../opt-outs/opt-out-store';
import { ProcessingMetrics } from '../queue-work/queue-record';
import { Clock } from '../util/clock';
import { InboundStore } from './inbound-store';
import { ReplyQueue } from './reply-queue';
import { InboundMessage } from './types';
import { LatestInbound } from './latest-inbound';

export interface AcceptInboundDeps {
  inbound: InboundStore;
  optOuts: Pick<OptOutStore, 'record'>;
  queue: ReplyQueue;
  /** The newest message on its conversation, noted before it is queued (answers are coalesced). */
  latest: LatestInbound;
  clock: Clock;
  metrics: ProcessingMetrics;
  logger: WebhookLogger;
}

export interface Link {
  conversation: ConversationItem;
  linkedBy: NonNullable<InboundMessage['linked_by']>;
}

export type Accepted = 'queued' | 'duplicate' | 'orphan';

/** The inbound item's link to the conversation it answers, and the thread whose reply queue group it joins. */
const linkOf = (link: Link, threadId: string | undefined) => ({
  inbound_status: 'linked' as const,
  conversation: { primary_channel: link.conversation.primary_channel, conversation_id: link.conversation.conversation_id },
  thread_id: threadId,
  company_id: link.conversation.company_id as string,
  project_id: link.conversation.project_id as string,
  linked_by: link.linkedBy,
});

/**
 * A verified inbound message, from either webhook (docs/processing.md "Replies"): store it once
 * (the provider's retry of it finds it), record an opt-out or opt-in keyword at once (so a message
 * queued before a STOP is not sent), link it to its conversation, and hand it to the reply queue.
 * Each step is repeatable: a webhook retried after a crash continues where the first call stopped.
 * `companyId` is the company that owns the address it was sent to, when the webhook knows it
 * before linking (Twilio's number directory); otherwise the linked conversation's.
 */
export const acceptInbound = async (
  received: InboundMessage,
  find: () => Promise<Link | undefined>,
  companyId: string | undefined,
  deps: AcceptInboundDeps,
): Promise<Accepted> => {
  const { inbound, clock, metrics, logger } = deps;
  const stored = await inbound.receive(received);
  const message = stored.created ? received : stored.existing;
  if (!stored.created && (message.enqueued || message.inbound_status === 'orphan')) {
    metrics.count('InboundDuplicates');
    logger.info('Inbound message already received (a provider retry)', { inbound_id: message.inbound_id });
    return 'duplicate';
  }
  if (stored.created) metrics.count('InboundReceived');

  const recordKeyword = async (company: string) => {
    if (message.intent !== 'opt_out' && message.intent !== 'opt_in') return;
    await deps.optOuts.record(
      {
        company_id: company,
        channel: message.channel,
        address: message.from_address,
        opted_out: message.intent === 'opt_out',
        source: `keyword:${message.provider}`,
        event_at: message.received_at,
      },
      clock.now(),
    );
    metrics.count(message.intent === 'opt_out' ? 'OptOutsRecorded' : 'OptInsRecorded');
  };
  if (companyId) await recordKeyword(companyId);

  const link = message.inbound_status === 'linked' && message.conversation && message.thread_id ? undefined : await find();
  if (message.inbound_status !== 'linked' && !link) {
    await inbound.link(message.inbound_id, { inbound_status: 'orphan' }, clock.now());
    metrics.count('OrphanReplies');
    logger.warn('Inbound message matches no conversation: stored, not answered', {
      inbound_id: message.inbound_id,
      channel: message.channel,
    });
    return 'orphan';
  }
  const conversation = link?.conversation;
  const threadId = message.thread_id ?? (conversation?.thread_id as string | undefined);
  if (link && conversation) {
    if (!companyId) await recordKeyword(conversation.company_id as string);
    await inbound.link(message.inbound_id, linkOf(link, threadId), clock.now());
  }
  // Noted before it is queued: the reply step answering an earlier message then sees this one waiting.
  const linkedTo =
    message.conversation ??
    (conversation ? { primary_channel: conversation.primary_channel, conversation_id: conversation.conversation_id } : undefined);
  if (linkedTo && message.intent === 'reply') await deps.latest.note(linkedTo, message.inbound_id, message.received_at);
  // A conversation without a thread predates the compose step: it is answered on one of its own.
  await deps.queue.enqueue(
    { inbound_id: message.inbound_id },
    threadId ?? message.conversation?.conversation_id ?? conversation!.conversation_id,
  );
  await inbound.markEnqueued(message.inbound_id, clock.now());
  metrics.count('RepliesQueued');
  logger.info('Inbound message linked and queued', {
    inbound_id: message.inbound_id,
    conversation_id: conversation?.conversation_id ?? message.conversation?.conversation_id,
    linked_by: link?.linkedBy ?? message.linked_by,
  });
  return 'queued';
};
