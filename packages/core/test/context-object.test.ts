import { AppError, buildContextObject, canonicalJson, contextObjectMessageAttributes, conversationIdFor, ErrorCodes, parseContextObject, validateInitiateRequest } from '../src';
import { companyItem, requestBody } from './fixtures';

const build = (patch?: (b: Record<string, any>) => void) => {
  const request = validateInitiateRequest(requestBody(patch));
  return buildContextObject({
    request,
    company: companyItem((c) => (c.api_key_sha256 = ['a'.repeat(64)])),
    receivedAt: new Date('2026-01-01T00:00:00.000Z'),
    routerVersion: '1.2.3',
    traceId: 'trace-1',
  });
};

describe('Context Object', () => {
  it('carries the request, the company without key hashes, and the conversation id of data-model.md', () => {
    const co = build((b) => (b.request_data.request_id = '550e8400-e29b-41d4-a716-446655440001'));
    expect(co.schema_version).toBe(1);
    expect(co.conversation_data).toEqual({ conversation_id: 'ci-aaa-001#pi-aaa-001#550e8400-e29b-41d4-a716-446655440001#447700900001', conversation_status: 'initiated', thread_id: null });
    expect(co.company_data_payload).not.toHaveProperty('api_key_sha256');
    expect(co.metadata).toEqual({ router_version: '1.2.3', received_at: '2026-01-01T00:00:00.000Z', trace_id: 'trace-1' });
  });

  it('uses the company e-mail address as the channel part for email', () => {
    const request = validateInitiateRequest(requestBody((b) => (b.request_data.channel_method = 'email')));
    expect(conversationIdFor(request, companyItem())).toMatch(/#jobs@acme\.example\.com$/);
  });

  it('names a missing sender as a configuration error', () => {
    const request = validateInitiateRequest(requestBody());
    try {
      conversationIdFor(request, companyItem((c) => delete c.channel_config.whatsapp));
      throw new Error('accepted');
    } catch (error) {
      expect((error as AppError).code).toBe(ErrorCodes.CONFIGURATION_ERROR);
    }
  });

  it('has the message attributes of data-model.md', () => {
    const co = build();
    expect(contextObjectMessageAttributes(co, '2026-01-01T00:00:01.000Z')).toEqual({
      channelMethod: { DataType: 'String', StringValue: 'whatsapp' },
      conversationId: { DataType: 'String', StringValue: co.conversation_data.conversation_id },
      routerTimestamp: { DataType: 'String', StringValue: '2026-01-01T00:00:01.000Z' },
      recipientTel: { DataType: 'String', StringValue: '+447700900123' },
      recipientEmail: { DataType: 'String', StringValue: 'john.doe@example.com' },
    });
  });

  it('round-trips through the processor-side parser', () => {
    const co = build();
    expect(parseContextObject(JSON.stringify(co))).toEqual(co);
  });

  it.each([
    ['not JSON', () => '{'],
    ['wrong schema version', () => JSON.stringify({ ...build(), schema_version: 2 })],
    ['a conversation id that does not match its parts', () => JSON.stringify({ ...build(), conversation_data: { ...build().conversation_data, conversation_id: 'x#y#z#1' } })],
    ['no channel config for its channel', () => {
      const co: any = build();
      delete co.company_data_payload.channel_config.whatsapp;
      return JSON.stringify(co);
    }],
    ['a secret value smuggled into the company payload', () => {
      const co: any = build();
      co.company_data_payload.channel_config.whatsapp.twilio_auth_token = 'x';
      return JSON.stringify(co);
    }],
  ])('refuses %s', (_name, body) => {
    expect(() => parseContextObject(body())).toThrow(AppError);
  });

  it('hashes equal bodies equally whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 }));
  });
});
