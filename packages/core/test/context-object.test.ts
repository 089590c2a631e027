import {
  AppError,
  buildContextObject,
  canonicalJson,
  composedMessageAttributes,
  ComposedMessage,
  contextObjectMessageAttributes,
  conversationIdFor,
  ErrorCodes,
  InitiateConversationRequest,
  parseComposedMessage,
  parseContextObject,
  ResolvedRequest,
  validateInitiateRequest,
} from '../src';
import { companyItem, requestBody } from '@ai-multi-comms/testing';

const resolved = (request: InitiateConversationRequest): ResolvedRequest => ({
  ...request,
  request_data: {
    ...request.request_data,
    channel_method: request.request_data.channel_method === 'all' ? ['whatsapp', 'sms', 'email'] : request.request_data.channel_method,
  },
});

const build = (patch?: (b: Record<string, any>) => void) =>
  buildContextObject({
    request: resolved(validateInitiateRequest(requestBody(patch))),
    company: companyItem((c) => (c.api_key_sha256 = ['a'.repeat(64)])),
    receivedAt: new Date('2026-01-01T00:00:00.000Z'),
    routerVersion: '1.2.3',
    traceId: 'trace-1',
  });

const composed = (patch?: (b: Record<string, any>) => void): ComposedMessage => {
  const co = build(patch);
  return {
    ...co,
    conversation_data: { ...co.conversation_data, thread_id: 'conv_1' },
    composed: Object.fromEntries(
      co.conversation_data.conversations.map(({ channel }) => [
        channel,
        { text: 'hi', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
      ]),
    ),
  };
};

describe('Context Object', () => {
  it('carries the request, the company without key hashes, and one conversation id per channel (docs/data-model.md)', () => {
    const co = build((b) => (b.request_data.request_id = '550e8400-e29b-41d4-a716-446655440001'));
    expect(co.schema_version).toBe(2);
    expect(co.conversation_data).toEqual({
      conversations: [{ channel: 'whatsapp', conversation_id: 'ci-aaa-001#pi-aaa-001#550e8400-e29b-41d4-a716-446655440001#447700900001' }],
      conversation_status: 'initiated',
      thread_id: null,
    });
    expect(co.company_data_payload).not.toHaveProperty('api_key_sha256');
    expect(co.metadata).toEqual({ router_version: '1.2.3', received_at: '2026-01-01T00:00:00.000Z', trace_id: 'trace-1' });
  });

  it('names every channel of a fan-out request, in request order', () => {
    const co = build(
      (b) => (
        (b.request_data.channel_method = ['email', 'WhatsApp', 'sms']), (b.request_data.request_id = '550e8400-e29b-41d4-a716-446655440001')
      ),
    );
    expect(co.conversation_data.conversations.map((c) => c.channel)).toEqual(['email', 'whatsapp', 'sms']);
    expect(co.conversation_data.conversations.map((c) => c.conversation_id.split('#')[3])).toEqual([
      'jobs@acme.example.com',
      '447700900001',
      '447700900002',
    ]);
  });

  it('uses the company e-mail address as the channel part for email', () => {
    const request = validateInitiateRequest(requestBody());
    expect(conversationIdFor(request, companyItem(), 'email')).toMatch(/#jobs@acme\.example\.com$/);
  });

  it('names a missing sender as a configuration error', () => {
    const request = validateInitiateRequest(requestBody());
    try {
      conversationIdFor(
        request,
        companyItem((c) => delete c.channel_config.whatsapp),
        'whatsapp',
      );
      throw new Error('accepted');
    } catch (error) {
      expect((error as AppError).code).toBe(ErrorCodes.CONFIGURATION_ERROR);
    }
  });

  it('has the message attributes operators filter on', () => {
    const co = build((b) => (b.request_data.channel_method = ['whatsapp', 'email']));
    expect(contextObjectMessageAttributes(co, '2026-01-01T00:00:01.000Z')).toEqual({
      requestId: { DataType: 'String', StringValue: co.frontend_payload.request_data.request_id },
      channels: { DataType: 'String', StringValue: 'whatsapp,email' },
      conversationId: { DataType: 'String', StringValue: co.conversation_data.conversations[0]!.conversation_id },
      routerTimestamp: { DataType: 'String', StringValue: '2026-01-01T00:00:01.000Z' },
    });
  });

  it('marks a composed message with one attribute per channel it carries (the fan-out filter)', () => {
    const message = composed((b) => (b.request_data.channel_method = ['sms', 'email']));
    expect(composedMessageAttributes(message)).toEqual({
      requestId: { DataType: 'String', StringValue: message.frontend_payload.request_data.request_id },
      threadId: { DataType: 'String', StringValue: 'conv_1' },
      channel_sms: { DataType: 'String', StringValue: 'true' },
      channel_email: { DataType: 'String', StringValue: 'true' },
    });
  });

  it('round-trips through the parsers of the compose step and the senders', () => {
    const co = build();
    expect(parseContextObject(JSON.stringify(co))).toEqual(co);
    const message = composed();
    expect(parseComposedMessage(JSON.stringify(message), 'whatsapp')).toEqual(message);
  });

  it.each([
    ['not JSON', () => '{'],
    ['the previous schema version', () => JSON.stringify({ ...build(), schema_version: 1 })],
    [
      'a conversation id that does not match its parts',
      () =>
        JSON.stringify({
          ...build(),
          conversation_data: { ...build().conversation_data, conversations: [{ channel: 'whatsapp', conversation_id: 'x#y#z#1' }] },
        }),
    ],
    [
      'conversations that are not the channels in order',
      () =>
        JSON.stringify({
          ...build((b) => (b.request_data.channel_method = ['sms', 'whatsapp'])),
          conversation_data: { ...build().conversation_data },
        }),
    ],
    [
      'channels left unresolved ("all")',
      () => {
        const co: any = build();
        co.frontend_payload.request_data.channel_method = 'all';
        return JSON.stringify(co);
      },
    ],
    [
      'no channel config for its channel',
      () => {
        const co: any = build();
        delete co.company_data_payload.channel_config.whatsapp;
        return JSON.stringify(co);
      },
    ],
    [
      'a channel without the recipient address it needs',
      () => {
        const co: any = build((b) => (b.request_data.channel_method = ['email']));
        delete co.frontend_payload.recipient_data.recipient_email;
        return JSON.stringify(co);
      },
    ],
    [
      'a secret value smuggled into the company payload',
      () => {
        const co: any = build();
        co.company_data_payload.channel_config.whatsapp.twilio_auth_token = 'x';
        return JSON.stringify(co);
      },
    ],
  ])('refuses %s', (_name, body) => {
    expect(() => parseContextObject(body())).toThrow(AppError);
  });

  it.each([
    ['no thread', () => ({ ...composed(), conversation_data: { ...composed().conversation_data, thread_id: null } })],
    ["no part for the sender's channel", () => ({ ...composed(), composed: {} })],
  ])('a sender refuses a composed message with %s', (_name, make) => {
    expect(() => parseComposedMessage(JSON.stringify(make()), 'whatsapp')).toThrow(AppError);
  });

  it('a sender refuses a message that does not carry its channel', () => {
    expect(() => parseComposedMessage(JSON.stringify(composed()), 'email')).toThrow(/has no email conversation|composed.email/);
  });

  it('hashes equal bodies equally whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 }),
    );
  });
});
