import {
  addressIn,
  AppError,
  answerReply,
  ConversationItem,
  createGovernor,
  emailMessageIdFor,
  emailThreadToken,
  headerValue,
  InboundMessage,
  InboundStore,
  inMemoryBucketStore,
  intentOf,
  newTextOfReply,
  ReplyAnswer,
  rateLimited,
  ReplyDeps,
  replyToAddressFor,
  tokensInMessageIds,
  tokensInRecipients,
  transient,
} from '../src';
import { companyItem } from '@ai-multi-comms/testing';

const companyFixture = companyItem();

describe('opt-out keywords', () => {
  it.each([
    ['STOP', 'opt_out'],
    [' stop. ', 'opt_out'],
    ['Unsubscribe!', 'opt_out'],
    ['stopall', 'opt_out'],
    ['QUIT', 'opt_out'],
    ['start', 'opt_in'],
    ['Yes', 'opt_in'],
    ['UNSTOP', 'opt_in'],
    // Normalised first: what a phone or a hurried person adds does not hide the keyword.
    ['ＳＴＯＰ', 'opt_out'], // full-width (NFKC)
    ['STOP\u200b', 'opt_out'], // a zero-width space after it
    ['\u200dS\u200cTOP\ufeff', 'opt_out'], // joiners and a BOM inside and around it
    ['stop 🛑', 'opt_out'], // an emoji after it
    ['Stop!!!', 'opt_out'],
    ['opt out', 'opt_out'],
    ['Opt-Out.', 'opt_out'],
    ['UN SUBSCRIBE', 'opt_out'],
    ['ｓｔａｒｔ', 'opt_in'],
    // Sentences are the AI's to judge (the reply turn's opt_out), not a keyword.
    ['please stop messaging me', 'reply'],
    ['STOP please', 'reply'],
    ['yes please, tuesday works', 'reply'],
    ['stopover in Lisbon?', 'reply'],
    ['', 'reply'],
  ])('%j is %s', (text, intent) => expect(intentOf(text)).toBe(intent));
  it("Twilio's OptOutType wins over the words", () => {
    expect(intentOf('no more please', 'STOP')).toBe('opt_out');
    expect(intentOf('STOP', 'START')).toBe('opt_in');
    expect(intentOf('help', 'HELP')).toBe('reply');
  });
});

describe('e-mail replies', () => {
  it('keeps only the new text above the quoted mail', () => {
    expect(newTextOfReply('Sounds good.\r\n\r\nOn Mon, 1 Dec 2026, Acme <jobs@acme.example> wrote:\r\n> Hi John')).toBe('Sounds good.');
    expect(newTextOfReply('Yes\nOn Monday, Sarah\nwrote:\nold')).toBe('Yes');
    expect(newTextOfReply('Fine\n-----Original Message-----\nFrom: x')).toBe('Fine');
    expect(newTextOfReply('> quoted only')).toBe('');
    expect(newTextOfReply('Plain, nothing quoted\nsecond line')).toBe('Plain, nothing quoted\nsecond line');
  });
  it('reads folded headers and addresses', () => {
    const headers = 'Message-ID: <a@b>\nReferences: <x@y>\n <z@w>\nSubject: Re: hi';
    expect(headerValue(headers, 'message-id')).toBe('<a@b>');
    expect(headerValue(headers, 'References')).toBe('<x@y> <z@w>');
    expect(headerValue(headers, 'In-Reply-To')).toBeUndefined();
    expect(addressIn('"Doe, John" <John.Doe@Example.com>')).toBe('john.doe@example.com');
    expect(addressIn('bare@example.com')).toBe('bare@example.com');
    expect(addressIn('no address')).toBeUndefined();
  });
  it('every Message-ID and the Reply-To of a conversation carry its token, and only ours are read back', () => {
    const conversationId = 'ci#pi#req#jobs@acme.example';
    const token = emailThreadToken(conversationId);
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const first = emailMessageIdFor(conversationId, 'jobs@acme.example');
    const answer = emailMessageIdFor(conversationId, 'jobs@acme.example', 'reply#twilio#SM1');
    expect(first).toBe(`<${token}@acme.example>`);
    expect(answer).toMatch(new RegExp(`^<${token}\\.[0-9a-f]{12}@acme\\.example>$`));
    expect(answer).not.toBe(emailMessageIdFor(conversationId, 'jobs@acme.example', 'reply#twilio#SM2'));
    expect(tokensInMessageIds(`<other@person.example> ${first} ${answer}`)).toEqual([token, token]);
    expect(tokensInRecipients(`Acme <${replyToAddressFor(conversationId, 'parse.acme.example')}>, other@x.example`)).toEqual([token]);
    expect(tokensInRecipients('reply+nothex@parse.acme.example')).toEqual([]);
  });
});

describe('the reply step', () => {
  const now = new Date('2026-12-02T10:00:00Z');
  const conversation: ConversationItem = {
    primary_channel: '+447700900123',
    conversation_id: 'ci-aaa-001#pi-aaa-001#r1#447700900001',
    conversation_status: 'initial_message_sent',
    channel_method: 'whatsapp',
    company_id: companyFixture.company_id,
    project_id: companyFixture.project_id,
    request_id: 'r1',
    recipient_tel: '+447700900123',
    comms_consent: true,
    initial_request_timestamp: '2025-09-15T11:45:32.789Z',
    thread_id: 'conv_1',
    ai_config: {
      openai_config: { whatsapp: { api_key_reference: 'ai-multi-comms/openai-api-key/x', model: 'm', requests_per_minute: 600 } },
    },
    created_at: now.toISOString(),
    updated_at: now.toISOString(),
  };
  const inboundItem = (patch: Partial<InboundMessage> = {}): InboundMessage => ({
    inbound_id: 'twilio#SM1',
    provider: 'twilio',
    channel: 'whatsapp',
    from_address: '+447700900123',
    to_address: '+447700900001',
    text: 'When can we talk?',
    intent: 'reply',
    inbound_status: 'linked',
    conversation: { primary_channel: conversation.primary_channel, conversation_id: conversation.conversation_id },
    thread_id: 'conv_1',
    received_at: now.toISOString(),
    updated_at: now.toISOString(),
    expires_at: 0,
    ...patch,
  });

  const build = (inbound: InboundMessage, overrides: Partial<ReplyDeps> = {}) => {
    const calls = { turns: 0, published: 0, handOffs: 0, finished: [] as string[] };
    const store: InboundStore = {
      receive: async () => ({ created: true }),
      get: async () => inbound,
      link: async () => undefined,
      markEnqueued: async () => undefined,
      markThreadNoted: async () => undefined,
      storeAnswer: async (_id, answer) => ((inbound.answer ??= answer), inbound.answer),
      finish: async (_id, status) => void calls.finished.push(status),
    };
    const buckets = inMemoryBucketStore();
    const deps: ReplyDeps = {
      governor: createGovernor({
        buckets,
        clock: { now: () => now },
        sleep: async () => Promise.reject(new Error('the reply step never waits for a slot')),
        config: { enabled: true },
      }),
      inbound: store,
      conversations: { get: async () => conversation },
      updates: {
        appendInbound: async () => true,
        setStatus: async () => undefined,
        recordOutcome: async () => undefined,
        handOffThread: async () => 0,
        takeAnswer: async () => true,
        holdForLater: async () => undefined,
        clearWaiting: async () => undefined,
      },
      companies: { get: async () => companyFixture },
      optOuts: { isOptedOut: async () => false, record: async () => true },
      secrets: { getJson: async () => ({ ai_api_key: 'k' }) as never, evict: () => undefined },
      ai: {
        note: async () => undefined,
        turn: async (turn) => {
          calls.turns += 1;
          const json = { reply: 'Tomorrow at 10?', hand_off_to_human: false, hand_off_reason: null, task_complete: false };
          return {
            threadId: turn.threadId,
            text: JSON.stringify(json),
            json,
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          };
        },
      },
      publishAnswer: async () => void (calls.published += 1),
      publishHandOff: async () => void (calls.handOffs += 1),
      clock: { now: () => now },
      logger: {
        createChild: () => ({ appendKeys: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }),
      } as never,
      metrics: { count: () => undefined },
      config: { retryBackoffBaseSeconds: 1, retryBackoffMaxSeconds: 10, maxReceiveCount: 3 },
      ...overrides,
    };
    return { deps, calls, buckets };
  };
  const record = { messageId: 'm1', receiptHandle: 'rh', body: JSON.stringify({ inbound_id: 'twilio#SM1' }), receiveCount: 1 };

  it('a retry after a failed publish publishes again without a second AI turn', async () => {
    const inbound = inboundItem();
    let failPublish = true;
    const { deps, calls } = build(inbound, {
      publishAnswer: async () => {
        if (failPublish) throw transient('QUEUE_ERROR', 'down');
      },
    });
    expect(await answerReply(record, deps)).toMatchObject({ outcome: 'retry' });
    failPublish = false;
    expect(await answerReply({ ...record, receiveCount: 2 }, deps)).toEqual({ outcome: 'acknowledge', reason: 'answered' });
    expect(calls.turns).toBe(1);
    expect(calls.finished).toEqual(['answered']);
  });

  it('an answered reply delivered again is a duplicate', async () => {
    const { deps, calls } = build(inboundItem({ inbound_status: 'answered' }));
    expect(await answerReply(record, deps)).toEqual({ outcome: 'acknowledge', reason: 'already answered' });
    expect(calls.turns + calls.published).toBe(0);
  });

  it.each([
    ['an opt-out keyword', { intent: 'opt_out' as const }, {}, 'opted_out'],
    [
      'a conversation handed to a human',
      {},
      { conversations: { get: async () => ({ ...conversation, hand_off_to_human: true }) } },
      'held',
    ],
    ['a person who opted out since', {}, { optOuts: { isOptedOut: async () => true } }, 'held'],
    ['an inactive project', {}, { companies: { get: async () => ({ ...companyFixture, project_status: 'inactive' as const }) } }, 'held'],
  ])('%s: stored, not answered', async (_name, patch, overrides, status) => {
    const { deps, calls } = build(inboundItem(patch), overrides as Partial<ReplyDeps>);
    expect(await answerReply(record, deps)).toMatchObject({ outcome: 'acknowledge' });
    expect(calls.turns + calls.published).toBe(0);
    expect(calls.finished).toEqual([status]);
  });

  it('a hand-off is published once, and its answer still goes out', async () => {
    const { deps, calls } = build(inboundItem(), {
      ai: {
        note: async () => undefined,
        turn: async (turn) => {
          const json: Omit<ReplyAnswer, 'usage'> = {
            reply: 'A colleague will call you.',
            hand_off_to_human: true,
            hand_off_reason: 'asked for a person',
            task_complete: false,
          };
          return {
            threadId: turn.threadId,
            text: JSON.stringify(json),
            json: json as never,
            usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
          };
        },
      },
    });
    expect(await answerReply(record, deps)).toEqual({ outcome: 'acknowledge', reason: 'answered' });
    expect([calls.handOffs, calls.published]).toEqual([1, 1]);
  });

  it('an AI refusal for good is recorded on the inbound message and shown on the conversation', async () => {
    const statuses: [string, string | undefined][] = [];
    const { deps, calls } = build(inboundItem(), {
      ai: {
        note: async () => undefined,
        turn: async () => Promise.reject(new AppError('permanent', 'AI_PERMANENT', 'OpenAI refused the request: 400.')),
      },
      updates: {
        appendInbound: async () => true,
        setStatus: async (_key, status, _now, reason) => void statuses.push([status, reason]),
        recordOutcome: async () => undefined,
        handOffThread: async () => 0,
        takeAnswer: async () => true,
        holdForLater: async () => undefined,
        clearWaiting: async () => undefined,
      },
    });
    expect(await answerReply(record, deps)).toMatchObject({ outcome: 'acknowledge' });
    expect(calls.finished).toEqual(['failed']);
    expect(statuses).toEqual([['failed_to_process_ai', 'The reply was not answered: OpenAI refused the request: 400.']]);
    expect(calls.published).toBe(0);
  });

  describe("the OpenAI key's rate (docs/throughput.md)", () => {
    const bucket = 'openai#ai-multi-comms/openai-api-key/x';
    const pace = { intervalMs: 100, burstMs: 0, horizonMs: 900_000 }; // the thread's 600 requests/min

    it('the answer goes at once, ahead of the slots the compose step booked, and pushes what books after it one interval back', async () => {
      const { deps, calls, buckets } = build(inboundItem());
      // A campaign has booked the next 10 s of the key.
      await buckets.reserve(bucket, 100, pace, now.getTime());
      expect(buckets.tat(bucket)).toBe(now.getTime() + 10_000);
      expect(await answerReply(record, deps)).toEqual({ outcome: 'acknowledge', reason: 'answered' });
      expect(calls.turns).toBe(1);
      expect(buckets.tat(bucket)).toBe(now.getTime() + 10_100);
      // The next compose booking comes after the answer's unit.
      expect(await buckets.reserve(bucket, 1, pace, now.getTime())).toMatchObject({ booked: true, atMs: now.getTime() + 10_100 });
    });

    it("OpenAI's refusal for rate holds every caller of the key back for its retry-after, and the reply is retried, not failed", async () => {
      const { deps, calls, buckets } = build(inboundItem(), {
        ai: {
          note: async () => undefined,
          turn: async () => Promise.reject(rateLimited('AI_RATE_LIMITED', 'OpenAI is at its rate limit.', 20)),
        },
      });
      expect(await answerReply(record, deps)).toMatchObject({ outcome: 'retry' });
      expect(calls.finished).toEqual([]);
      expect(buckets.tat(bucket)).toBe(now.getTime() + 20_000);
    });

    it('a governor that cannot be reached does not keep the person from their answer', async () => {
      const { deps, calls } = build(inboundItem(), {
        governor: { takeNow: async () => Promise.reject(new Error('DynamoDB is down')), refused: async () => undefined },
      });
      expect(await answerReply(record, deps)).toEqual({ outcome: 'acknowledge', reason: 'answered' });
      expect(calls.published).toBe(1);
    });
  });

  it('a malformed task is retried (then parked), not guessed at', async () => {
    const { deps } = build(inboundItem());
    expect(await answerReply({ ...record, body: '{"nope":1}' }, deps)).toMatchObject({ outcome: 'retry' });
  });
});
