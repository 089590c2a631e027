import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { conversationReader } from './conversations';
import { eventually, postInitiate, stackClients, StackState, uniqueTel, validBody } from './stack';

/** Demo company A's numbers and its OpenAI key (packages/local-stack demo data). */
export const COMPANY_WHATSAPP = '+447700900001';
export const COMPANY_SMS = '+447700900002';
export const DEMO_OPENAI_KEY = 'sk-local-demo-project-a';

export const uniqueEmail = () => `person-${randomUUID().slice(0, 8)}@example.com`;

/**
 * The person's side of a conversation through the local stack: start one (POST, wait until every
 * channel sent its first message), reply as the person through the local providers' simulators
 * (signed webhooks, as Twilio and SendGrid send them), and read what came back.
 */
export const replyKit = (state: StackState, clients: ReturnType<typeof stackClients>) => {
  const reader = conversationReader(state, clients);
  const json = async (url: string, init?: RequestInit) => {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
    return { status: response.status, json: (await response.json()) as any };
  };

  const start = async (channels: string[], person = { tel: uniqueTel(), email: uniqueEmail() }) => {
    const requestId = randomUUID();
    const response = await postInitiate(
      state,
      validBody((b) => {
        b.recipient_data.recipient_tel = person.tel;
        b.recipient_data.recipient_email = person.email;
        b.request_data.request_id = requestId;
        b.request_data.channel_method = channels;
      }),
    );
    if (response.status !== 200) throw new Error(`initiate answered ${response.status}: ${JSON.stringify(response.json)}`);
    const conversations = response.json.conversations as { channel: string; conversation_id: string }[];
    const addressOf = (channel: string) => (channel === 'email' ? person.email : person.tel);
    const items = await Promise.all(
      conversations.map((c) => reader.waitForStatus(addressOf(c.channel), c.conversation_id, 'initial_message_sent', 30_000)),
    );
    const byChannel = Object.fromEntries(
      conversations.map((c, index) => [c.channel, { ...c, address: addressOf(c.channel), item: items[index]! }]),
    );
    return { requestId, person, byChannel, threadId: items[0]!.thread_id as string };
  };

  const twilioInbound = (input: {
    channel: 'whatsapp' | 'sms';
    from: string;
    body: string;
    to?: string;
    original_replied_message_sid?: string;
    message_sid?: string;
    opt_out_type?: string;
  }) =>
    json(`${state.providersUrl}/__simulate/twilio/inbound`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ to: input.channel === 'whatsapp' ? COMPANY_WHATSAPP : COMPANY_SMS, ...input }),
    });

  const emailInbound = (input: {
    from: string;
    text: string;
    to?: string;
    subject?: string;
    in_reply_to?: string;
    message_id?: string;
    headers?: Record<string, string>;
    from_field?: string;
    spf?: string;
    dkim?: string;
  }) =>
    json(`${state.providersUrl}/__simulate/sendgrid/inbound`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(input),
    });

  const twilioMessagesTo = async (address: string) =>
    (
      (await json(`${state.providersUrl}/__messages?provider=twilio`)).json.twilio as {
        sid: string;
        to: string;
        body: string;
        content_sid: string | null;
      }[]
    ).filter((m) => m.to === address);
  const mailsTo = async (email: string) =>
    (
      (await json(`${state.providersUrl}/__messages?provider=sendgrid`)).json.sendgrid as {
        to_emails: string[];
        subject: string;
        body: any;
      }[]
    ).filter((m) => m.to_emails.includes(email));

  /** The OpenAI conversation's items, oldest first, as the AI sees the thread. */
  const threadItems = async (threadId: string) =>
    (
      (
        await json(`${state.providersUrl}/v1/conversations/${threadId}/items?order=asc&limit=100`, {
          headers: { Authorization: `Bearer ${DEMO_OPENAI_KEY}` },
        })
      ).json.data as { role: string; content: { text: string }[] }[]
    ).map((item) => ({
      role: item.role,
      text: item.content?.[0]?.text ?? '',
    }));

  const inbound = async (inboundId: string) =>
    (
      await clients.documents.send(
        new GetCommand({ TableName: state.resources.inboundMessagesTable, Key: { inbound_id: inboundId }, ConsistentRead: true }),
      )
    ).Item;

  /** The conversation once it holds `count` messages and no lease. */
  const waitForMessages = (address: string, conversationId: string, count: number, timeoutMs = 30_000) =>
    eventually(
      `conversation ${conversationId} to hold ${count} messages`,
      async () => {
        const { conversation, message } = await reader.parts(address, conversationId);
        return (conversation?.messages?.length ?? 0) >= count && !message?.lease_owner ? conversation : undefined;
      },
      timeoutMs,
    );

  return { start, twilioInbound, emailInbound, twilioMessagesTo, mailsTo, threadItems, inbound, waitForMessages, reader, json };
};
