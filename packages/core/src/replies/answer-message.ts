import { textOf } from '../util/text-of';
import { headerSafe } from '../channels/email-threading';
import { toCompanyPayload } from '../context-object/build';
import { ComposedMessage, CONTEXT_OBJECT_SCHEMA_VERSION, ReplyDetails } from '../context-object/types';
import { CompanyProject } from '../companies/types';
import { ConversationItem } from '../conversations/types';
import { Channel, ResolvedRequest } from '../request/types';
import { answerMessageKey, InboundMessage, ReplyAnswer } from './types';

const defined = <T extends Record<string, unknown>>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as T;

/** The e-mail answer's threading: `Re:` the subject, In-Reply-To the person's mail, References the chain. */
const emailThreading = (
  inbound: InboundMessage,
  conversation: ConversationItem,
): Pick<ReplyDetails, 'subject' | 'in_reply_to' | 'references'> => {
  // Our first mail's subject, as the conversation's summary keeps it.
  const firstSubject = typeof conversation.first_subject === 'string' ? conversation.first_subject : undefined;
  // The person's subject becomes our header: no line break or control character of theirs reaches it.
  const subject = headerSafe(inbound.subject || firstSubject || '');
  const references = [...(inbound.email_references ?? []), ...(inbound.email_message_id ? [inbound.email_message_id] : [])]
    .filter((v, i, all) => all.indexOf(v) === i)
    .slice(-20);
  return defined({
    subject: /^re:/i.test(subject) ? subject : `Re: ${subject}`.trim(),
    in_reply_to: inbound.email_message_id,
    references: references.length > 0 ? references : undefined,
  });
};

/**
 * The answer as the channel's sender receives it: the same composed-message shape as a first
 * message (so the sender's exactly-once pipeline is the one that delivers it), rebuilt from the
 * conversation item and the project's current configuration, with `reply` naming the message.
 */
export const answerMessageFor = (
  inbound: InboundMessage,
  conversation: ConversationItem,
  project: CompanyProject,
  answer: ReplyAnswer,
): ComposedMessage => {
  const channel = conversation.channel_method as Channel;
  const projectData =
    typeof conversation.project_data_json === 'string'
      ? (JSON.parse(conversation.project_data_json) as Record<string, unknown>)
      : undefined;
  const request = {
    company_data: { company_id: project.company_id, project_id: project.project_id },
    recipient_data: defined({
      recipient_first_name: conversation.recipient_first_name,
      recipient_last_name: conversation.recipient_last_name,
      recipient_tel: conversation.recipient_tel,
      recipient_email: conversation.recipient_email,
      comms_consent: conversation.comms_consent,
    }),
    request_data: {
      request_id: conversation.request_id,
      channel_method: [channel],
      initial_request_timestamp: conversation.initial_request_timestamp,
    },
    ...(projectData === undefined ? {} : { project_data: projectData }),
  } as unknown as ResolvedRequest;
  return {
    schema_version: CONTEXT_OBJECT_SCHEMA_VERSION,
    frontend_payload: request,
    company_data_payload: toCompanyPayload(project),
    conversation_data: {
      conversations: [{ channel, conversation_id: conversation.conversation_id }],
      conversation_status: 'initiated',
      thread_id: String(conversation.thread_id),
    },
    metadata: {
      router_version: textOf(conversation.router_version, 'unknown'),
      received_at: inbound.received_at,
      trace_id: textOf(conversation.trace_id, inbound.inbound_id).slice(0, 200),
    },
    composed: { [channel]: { text: answer.reply, json: { reply: answer.reply }, usage: answer.usage } },
    reply: {
      message_key: answerMessageKey(inbound.inbound_id),
      inbound_id: inbound.inbound_id,
      ...(channel === 'email' ? emailThreading(inbound, conversation) : {}),
    },
  };
};
