import { AppError, ConversationItem, ConversationKey, InboundMessage, sha256Hex } from '@ai-multi-comms/core';
import { companyItem, fixedClock } from '@ai-multi-comms/testing';
import type { AgentDeps } from '../src/agent/agent-deps';
import { handBackConversation } from '../src/agent/hand-back-conversation';
import { postAgentMessage } from '../src/agent/post-agent-message';

/** The agent API's rules with in-memory stand-ins (the whole path runs against the local stack in test/e2e/agent-api.e2e.test.ts). */
const API_KEY = 'agent-unit-test-key-000000000000001';
const NOW = new Date('2026-12-05T10:00:00.000Z');
const conversationId = 'ci-aaa-001#pi-aaa-001#8a2f1c55-1111-4222-8333-444455556666#447700900001';

const setup = (options: { lastInboundHoursAgo?: number; template?: boolean; optedOut?: boolean; status?: string } = {}) => {
  const project = companyItem((p) => {
    p.api_key_sha256 = [sha256Hex(API_KEY)];
    if (options.template) p.channel_config.whatsapp!.reengagement_template_sid = 'HX00000000000000000000000000000a03';
  });
  const conversation = {
    primary_channel: '+447700900123',
    conversation_id: conversationId,
    company_id: 'ci-aaa-001',
    project_id: 'pi-aaa-001',
    request_id: '8a2f1c55-1111-4222-8333-444455556666',
    channel_method: 'whatsapp',
    thread_id: 'conv_1',
    conversation_status: options.status ?? 'reply_sent',
    hand_off_to_human: true,
    ...(options.lastInboundHoursAgo === undefined
      ? {}
      : { last_inbound_at: new Date(NOW.getTime() - options.lastInboundHoursAgo * 3_600_000).toISOString() }),
    created_at: NOW.toISOString(),
    updated_at: NOW.toISOString(),
  } as ConversationItem;
  const stored = new Map<string, InboundMessage>();
  const queued: { inbound_id: string; group: string }[] = [];
  const handedBack: ConversationKey[] = [];
  const deps: AgentDeps = {
    companies: { get: async (c, p) => (c === project.company_id && p === project.project_id ? project : undefined) },
    conversations: { byConversationId: async (id) => (id === conversationId ? conversation : undefined) },
    optOuts: { isOptedOut: async () => options.optedOut === true },
    inbound: {
      receive: async (message) => {
        const existing = stored.get(message.inbound_id);
        if (existing) return { created: false, existing };
        stored.set(message.inbound_id, { ...message });
        return { created: true };
      },
      markEnqueued: async (id) => void (stored.get(id)!.enqueued = true),
    },
    queue: { enqueue: async (task, group) => void queued.push({ inbound_id: task.inbound_id, group }) },
    handBack: {
      handBackThread: async (c) => {
        const key = { primary_channel: c.primary_channel, conversation_id: c.conversation_id };
        if (c.hand_off_to_human !== true) return [];
        c.hand_off_to_human = false;
        handedBack.push(key);
        return [key];
      },
    },
    list: { page: async () => ({ items: [] }) },
    clock: fixedClock(NOW),
  };
  return { deps, stored, queued, handedBack };
};

const body = (patch: Record<string, unknown> = {}) =>
  JSON.stringify({ text: 'Hello from Sam', agent_name: 'Sam', idempotency_key: 'k-1', ...patch });
const send = (deps: AgentDeps, raw = body(), id = encodeURIComponent(conversationId), apiKey = API_KEY) =>
  postAgentMessage({ conversationId: id, rawBody: raw, apiKey }, deps);
const codeOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return (error as AppError).code;
  }
};

describe('POST /conversations/{id}/messages', () => {
  it('stores the message once per key and queues it on the thread; a repeat answers the same and queues nothing new', async () => {
    const { deps, stored, queued } = setup({ lastInboundHoursAgo: 1 });
    const first = await send(deps);
    expect(first).toMatchObject({ status: 'accepted', conversation_id: conversationId, channel: 'whatsapp' });
    expect(await send(deps)).toEqual(first);
    expect(queued).toEqual([{ inbound_id: first.message_id.replace(/^reply#/, ''), group: 'conv_1' }]);
    expect([...stored.values()][0]).toMatchObject({ intent: 'agent', provider: 'agent', agent_name: 'Sam', text: 'Hello from Sam' });
    expect(await codeOf(send(deps, body({ text: 'Other words' })))).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('the WhatsApp window: open, closed with a re-engagement template (accepted), closed without one (409)', async () => {
    expect(await codeOf(send(setup({ lastInboundHoursAgo: 23 }).deps))).toBe('accepted');
    expect(await codeOf(send(setup({ lastInboundHoursAgo: 25, template: true }).deps))).toBe('accepted');
    expect(await codeOf(send(setup({ lastInboundHoursAgo: 25 }).deps))).toBe('WHATSAPP_WINDOW_CLOSED');
    expect(await codeOf(send(setup({}).deps))).toBe('WHATSAPP_WINDOW_CLOSED');
  });

  it('refuses an opted-out person, another key, an unknown or foreign id, and bad bodies, before storing anything', async () => {
    const { deps, stored } = setup({ lastInboundHoursAgo: 1, optedOut: true });
    expect(await codeOf(send(deps))).toBe('RECIPIENT_OPTED_OUT');
    expect(await codeOf(send(setup({ lastInboundHoursAgo: 1, status: 'opted_out' }).deps))).toBe('RECIPIENT_OPTED_OUT');
    expect(await codeOf(send(deps, body(), encodeURIComponent(conversationId), 'another-key'))).toBe('API_KEY_NOT_AUTHORIZED');
    expect(await codeOf(send(deps, body(), encodeURIComponent(`${conversationId}0`)))).toBe('CONVERSATION_NOT_FOUND');
    expect(await codeOf(send(deps, body(), encodeURIComponent(conversationId.replace('pi-aaa-001', 'pi-zzz-999'))))).toBe(
      'API_KEY_NOT_AUTHORIZED',
    );
    for (const bad of ['not json', '[]', body({ text: '' }), body({ agent_name: 7 }), body({ extra: 1 }), body({ text: 'x'.repeat(1601) })])
      expect(await codeOf(send(setup({ lastInboundHoursAgo: 1 }).deps, bad))).toMatch(/^(INVALID_REQUEST|VALIDATION_ERROR)$/);
    expect(stored.size).toBe(0);
  });
});

describe('POST /conversations/{id}/hand-back', () => {
  it('hands the thread back once; a repeat changes nothing', async () => {
    const { deps, handedBack } = setup({ lastInboundHoursAgo: 1 });
    const input = { conversationId: encodeURIComponent(conversationId), rawBody: '{"agent_name":"Sam"}', apiKey: API_KEY };
    expect(await handBackConversation(input, deps)).toEqual({
      status: 'success',
      conversation_id: conversationId,
      handed_back: [conversationId],
    });
    expect(await handBackConversation({ ...input, rawBody: null }, deps)).toMatchObject({ handed_back: [] });
    expect(handedBack).toHaveLength(1);
    expect(await codeOf(handBackConversation({ ...input, apiKey: 'x' }, deps))).toBe('API_KEY_NOT_AUTHORIZED');
  });
});
