import { bearerToken, randomHex, ProviderRequest, ProviderResponse } from './http-kit';
import { countTokens, createPromptCache, inputTokensOf, promptTokens } from './openai-tokens';

/**
 * OpenAI's Responses API and Conversations API, as much as this engine uses: POST /v1/conversations,
 * POST /v1/responses (conversation, prompt or model+instructions, text.format json_schema),
 * POST and GET /v1/conversations/{id}/items. Errors use OpenAI's envelope and status codes.
 * As OpenAI does:
 * - a conversation belongs to the key (project) that created it: another key gets 404;
 * - a response on a conversation that has one in flight gets 400 `conversation_locked` (a
 *   response takes `responseLatencyMs`, so a design that takes two turns at once is caught);
 * - the items list is newest first unless `order=asc`, `limit` 20 by default (1–100);
 * - `max_output_tokens` below 16 is refused (400 `integer_below_min_value`); a reply longer than
 *   `max_output_tokens` comes back `status: "incomplete"`, `incomplete_details.reason
 *   "max_output_tokens"`, its text cut at the budget (and still stored on the conversation);
 * - on demand (a fault rule's `outcome`): `incomplete` (the same, cut at half the text or the
 *   budget) or `refusal` (the output message holds a `refusal` content part, no `output_text`).
 * A 429's `type` is the limit it is about (`requests`, `tokens`), as OpenAI's is.
 */
export const openAiError = (
  status: number,
  message: string,
  code: string | null = null,
  param: string | null = null,
  type?: string,
): ProviderResponse => ({
  status,
  body: {
    error: {
      message,
      type:
        type ??
        (status === 429 ? 'requests' : status >= 500 ? 'server_error' : status === 401 ? 'invalid_request_error' : 'invalid_request_error'),
      param,
      code: code ?? (status === 401 ? 'invalid_api_key' : status === 429 ? 'rate_limit_exceeded' : null),
    },
  },
});

interface StoredConversation {
  id: string;
  created_at: number;
  metadata: Record<string, unknown>;
  items: ConversationItem[];
  /** The key that created it: OpenAI scopes a conversation to its project. */
  ownerKey: string | undefined;
  /** A response is being written on it now. */
  locked: boolean;
}

type ConversationItem = Record<string, unknown> & { id: string; type: string };

/** An input as the Conversations API stores it: a message item with an id. */
const toItem = (input: unknown): ConversationItem => {
  const value = (input ?? {}) as Record<string, unknown>;
  const content = typeof value.content === 'string' ? [{ type: 'input_text', text: value.content }] : value.content;
  return { id: `msg_${randomHex(48)}`, type: 'message', status: 'completed', role: value.role ?? 'user', content };
};

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  enum?: unknown[];
  required?: string[];
  maxLength?: number;
};

/** Words to write with, taken from whatever the caller put in the input (recipient, company, role). */
const hintsFrom = (input: unknown, message?: string) => {
  const text = JSON.stringify(input ?? '');
  const pick = (key: string) => new RegExp(`\\\\?"${key}\\\\?"\\s*:\\s*\\\\?"([^"\\\\]{1,60})`).exec(text)?.[1];
  return {
    /** The person's message, when the turn answers one (a reply turn's input has `message`). */
    message,
    firstName: pick('recipient_first_name') ?? 'there',
    company: pick('company_name') ?? 'our team',
    role: pick('jobRole') ?? pick('project_name') ?? 'the role',
    rep: pick('company_rep_1') ?? 'the recruitment team',
  };
};

/** The person asks for a human (the local stand-in for the model's judgement, docs: conversations.md). */
const asksForHuman = (message: string | undefined) =>
  /\b(human|real person|someone real|agent|manager|speak to (a|someone)|call me)\b/i.test(message ?? '');

/**
 * The person asks not to be contacted again, in plain words (the local stand-in for the model's
 * judgement of the reply turn's `opt_out`): English, Spanish, French, German, Portuguese and
 * Italian phrasings of "stop / unsubscribe / don't contact me / remove me".
 */
export const asksToOptOut = (message: string | undefined) =>
  /(^\W*(please )?stop\W*(please|now|it|this|all|that)?\W*$|\b(stop (messaging|texting|contacting|emailing|writing to|sending)|unsubscribe|opt(-| )?out|remove me|take me off|(don'?t|do not|never) (contact|message|text|email|write to) me|no more (messages|texts|emails)|leave me alone|not interested,? stop|darme de baja|no me (escrib|contact|mand)|ne plus (me )?(contacter|écrire)|désabonn|abmelden|nicht mehr (kontaktieren|schreiben)|parar de (enviar|mandar)|non (contattarmi|scrivermi)))/i.test(
    message ?? '',
  );

const sentenceFor = (name: string, hints: ReturnType<typeof hintsFrom>, maxLength?: number): string => {
  const lower = name.toLowerCase();
  const text =
    lower === 'reply'
      ? asksForHuman(hints.message)
        ? `Of course, ${hints.firstName}. I have asked ${hints.rep} at ${hints.company} to get in touch with you personally.`
        : `Thanks ${hints.firstName}, you wrote: "${(hints.message ?? '').slice(0, 80)}". ${hints.rep} at ${hints.company} will follow up about the ${hints.role} position.`
      : lower === 'hand_off_reason'
        ? 'The person asked to speak to a human.'
        : lower.includes('subject')
          ? `${hints.role} at ${hints.company}`
          : lower === '1' || lower.includes('name')
            ? hints.firstName
            : lower === '2' || lower.includes('rep')
              ? hints.rep
              : lower === '3' || lower.includes('role')
                ? hints.role
                : lower === '4'
                  ? `Would you like to hear more about the ${hints.role} position?`
                  : `Hi ${hints.firstName}, this is ${hints.rep} from ${hints.company} about the ${hints.role} position. Are you still interested?`;
  return maxLength ? text.slice(0, maxLength) : text;
};

/** A value that satisfies the JSON schema (the subset Structured Outputs allows). */
const generate = (schema: JsonSchema | undefined, name: string, hints: ReturnType<typeof hintsFrom>): unknown => {
  if (!schema) return sentenceFor(name, hints);
  // A reply turn's decisions: hand off when the person asks for a human; the reason only then.
  if (name === 'hand_off_to_human') return asksForHuman(hints.message);
  if (name === 'hand_off_reason') return asksForHuman(hints.message) ? sentenceFor(name, hints) : null;
  if (name === 'opt_out') return asksToOptOut(hints.message);
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, child]) => [key, generate(child, key, hints)]));
    case 'array':
      return [generate(schema.items, name, hints)];
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return false;
    default:
      return sentenceFor(name, hints, schema.maxLength);
  }
};

/** The `message` of a reply turn's input (a user item whose content is the engine's JSON). */
const messageOf = (input: unknown): string | undefined => {
  const items = Array.isArray(input) ? input : [input];
  for (const item of items) {
    const content = (item as { content?: unknown } | undefined)?.content;
    const text =
      typeof content === 'string' ? content : Array.isArray(content) ? (content[0] as { text?: string } | undefined)?.text : undefined;
    try {
      const parsed = JSON.parse(text ?? '') as { message?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
    } catch {
      // not the engine's JSON
    }
  }
  return undefined;
};

const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

/** What a fault rule may ask a response to be instead of a complete answer (faults.ts `outcome`). */
export type OpenAiOutcome = 'incomplete' | 'refusal';

/** OpenAI's smallest `max_output_tokens`. */
const MIN_OUTPUT_TOKENS = 16;
/** The refusal the model writes (the local stand-in; the real one varies). */
export const LOCAL_REFUSAL = "I'm sorry, I can't help with that.";

export interface OpenAiBehaviour {
  /** How long a response takes to write (the conversation is locked meanwhile). Default 20 ms. */
  responseLatencyMs?: number;
}

/** The model a stored prompt runs when the request names none. */
const DEFAULT_MODEL = 'gpt-4o-mini-2024-07-18';

/** A request's `input` as the message items it adds (a string is one user message). */
const inputItems = (input: unknown): unknown[] =>
  Array.isArray(input) ? input : input === undefined ? [] : [{ role: 'user', content: input }];

/** A message item as the model reads it: its role and its text parts (input_text, output_text, refusal). */
const messageText = (item: unknown): { role: string; text: string } => {
  const value = (item ?? {}) as { role?: unknown; content?: unknown };
  const content = value.content;
  const text =
    typeof content === 'string'
      ? content
      : Array.isArray(content)
        ? content
            .map((part) => {
              const p = (part ?? {}) as { text?: unknown; refusal?: unknown };
              return typeof p.text === 'string' ? p.text : typeof p.refusal === 'string' ? p.refusal : '';
            })
            .join('')
        : '';
  return { role: typeof value.role === 'string' ? value.role : 'user', text };
};

export const createOpenAiRoutes = (behaviour: OpenAiBehaviour = {}) => {
  const conversations = new Map<string, StoredConversation>();
  /** Prompt caches per organisation (here, per API key). */
  const caches = new Map<string, ReturnType<typeof createPromptCache>>();
  const cacheOf = (key: string | undefined) => {
    let cache = caches.get(key ?? '');
    if (!cache) caches.set(key ?? '', (cache = createPromptCache()));
    return cache;
  };
  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const notFound = (id: string) => openAiError(404, `Conversation with id '${id}' not found.`, null, 'conversation');
  /** The conversation, if it exists and this key's project owns it (another project's is "not found", as OpenAI answers). */
  const owned = (id: string, key: string | undefined) => {
    const conversation = conversations.get(id);
    return conversation && conversation.ownerKey === key ? conversation : undefined;
  };
  let locksRefused = 0;

  const createConversation = (request: ProviderRequest, key: string | undefined): ProviderResponse => {
    const body = (request.body ?? {}) as { metadata?: Record<string, unknown>; items?: unknown[] };
    const conversation: StoredConversation = {
      id: `conv_${randomHex(48)}`,
      created_at: nowSeconds(),
      metadata: body.metadata ?? {},
      items: (body.items ?? []).map(toItem),
      ownerKey: key,
      locked: false,
    };
    conversations.set(conversation.id, conversation);
    return {
      status: 200,
      body: { id: conversation.id, object: 'conversation', created_at: conversation.created_at, metadata: conversation.metadata },
    };
  };

  const createResponse = async (request: ProviderRequest, key: string | undefined, outcome?: OpenAiOutcome): Promise<ProviderResponse> => {
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || typeof body !== 'object') return openAiError(400, 'We could not parse the JSON body of your request.');
    const prompt = body.prompt as { id?: string; version?: string } | undefined;
    if (!body.model && !prompt?.id) return openAiError(400, "Missing required parameter: 'model'.", 'missing_required_parameter', 'model');
    const budget = body.max_output_tokens as number | undefined | null;
    if (typeof budget === 'number' && budget < MIN_OUTPUT_TOKENS) {
      return openAiError(
        400,
        `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= ${MIN_OUTPUT_TOKENS}, but got ${budget} instead.`,
        'integer_below_min_value',
        'max_output_tokens',
      );
    }
    const conversationRef = body.conversation;
    const conversationId = typeof conversationRef === 'string' ? conversationRef : (conversationRef as { id?: string } | undefined)?.id;
    const conversation = conversationId ? owned(conversationId, key) : undefined;
    if (conversationId && !conversation) return notFound(conversationId);
    if (conversation?.locked) {
      locksRefused += 1;
      return openAiError(
        400,
        'Another process is currently operating on this conversation. Please retry in a few seconds.',
        'conversation_locked',
        null,
      );
    }
    if (conversation) conversation.locked = true;
    try {
      await new Promise((resolve) => setTimeout(resolve, behaviour.responseLatencyMs ?? 20));
    } finally {
      if (conversation) conversation.locked = false;
    }

    const format = (body.text as { format?: { type?: string; name?: string; schema?: JsonSchema; strict?: boolean } } | undefined)?.format;
    if (format?.type === 'json_schema' && (!format.name || !format.schema)) {
      return openAiError(400, "Missing required parameter: 'text.format.name'.", 'missing_required_parameter', 'text.format.name');
    }
    const hints = hintsFrom(
      [body.input, body.instructions, (body.prompt as { variables?: unknown } | undefined)?.variables, conversation?.items ?? []],
      messageOf(body.input),
    );
    const full = format?.type === 'json_schema' ? JSON.stringify(generate(format.schema, 'root', hints)) : sentenceFor('message', hints);
    const model = typeof body.model === 'string' ? body.model : DEFAULT_MODEL;
    const promptTokenList = promptTokens({
      model,
      instructions: typeof body.instructions === 'string' ? body.instructions : undefined,
      schema: format?.type === 'json_schema' ? format : undefined,
      messages: [...(conversation?.items ?? []), ...inputItems(body.input)].map(messageText),
    });
    const inputTokens = inputTokensOf(promptTokenList);
    const cache = cacheOf(key).read(promptTokenList);
    // Past its budget the model stops mid-reply: the response is incomplete, its text cut there.
    const budgetChars = typeof budget === 'number' ? budget * 4 : Number.POSITIVE_INFINITY;
    const incomplete = outcome === 'incomplete' || (outcome !== 'refusal' && countTokens(model, full) > budgetChars / 4);
    const text =
      outcome === 'incomplete'
        ? full.slice(0, Math.min(budgetChars, Math.floor(full.length / 2)))
        : incomplete
          ? full.slice(0, budgetChars)
          : full;
    const content =
      outcome === 'refusal'
        ? [{ type: 'refusal', refusal: LOCAL_REFUSAL }]
        : [{ type: 'output_text', annotations: [], logprobs: [], text }];
    const usage = {
      input_tokens: inputTokens,
      output_tokens: incomplete && typeof budget === 'number' ? budget : countTokens(model, outcome === 'refusal' ? LOCAL_REFUSAL : text),
    };
    const message = {
      id: `msg_${randomHex(48)}`,
      type: 'message',
      status: incomplete ? 'incomplete' : 'completed',
      role: 'assistant',
      content,
    };
    // As OpenAI does, the input and whatever was written (a partial reply, a refusal) go on the conversation.
    if (conversation)
      conversation.items.push(
        ...(Array.isArray(body.input) ? body.input : [{ role: 'user', content: body.input }]).map(toItem),
        message as ConversationItem,
      );
    return {
      status: 200,
      body: {
        id: `resp_${randomHex(48)}`,
        object: 'response',
        created_at: nowSeconds(),
        status: incomplete ? 'incomplete' : 'completed',
        background: false,
        error: null,
        incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
        instructions: body.instructions ?? null,
        max_output_tokens: body.max_output_tokens ?? null,
        model: body.model ?? DEFAULT_MODEL,
        output: [message],
        parallel_tool_calls: true,
        previous_response_id: null,
        prompt: prompt ?? null,
        conversation: conversation ? { id: conversation.id } : null,
        reasoning: { effort: null, summary: null },
        temperature: body.temperature ?? 1,
        text: { format: format ?? { type: 'text' } },
        tool_choice: 'auto',
        tools: [],
        top_p: 1,
        truncation: 'disabled',
        usage: {
          ...usage,
          input_tokens_details: { cached_tokens: cache.cached, cache_write_tokens: cache.written },
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: usage.input_tokens + usage.output_tokens,
        },
        metadata: body.metadata ?? {},
      },
    };
  };

  const listItems = (request: ProviderRequest, id: string, key: string | undefined): ProviderResponse => {
    const conversation = owned(id, key);
    if (!conversation) return notFound(id);
    const order = request.query.get('order') === 'asc' ? 'asc' : 'desc';
    const limit = Math.min(100, Math.max(1, Number(request.query.get('limit') ?? 20) || 20));
    const ordered = order === 'asc' ? [...conversation.items] : [...conversation.items].reverse();
    const after = request.query.get('after');
    const start = after ? ordered.findIndex((item) => item.id === after) + 1 : 0;
    const data = ordered.slice(start, start + limit);
    return {
      status: 200,
      body: {
        object: 'list',
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: start + limit < ordered.length,
      },
    };
  };

  const addItems = (request: ProviderRequest, id: string, key: string | undefined): ProviderResponse => {
    const conversation = owned(id, key);
    if (!conversation) return notFound(id);
    const added = (((request.body ?? {}) as { items?: unknown[] }).items ?? []).map(toItem);
    conversation.items.push(...added);
    return {
      status: 200,
      body: { object: 'list', data: added, first_id: added[0]?.id ?? null, last_id: added.at(-1)?.id ?? null, has_more: false },
    };
  };

  /** Route name (for faults and recordings) and handler, or undefined when the path is not OpenAI's. */
  const keyOf = (request: ProviderRequest) => bearerToken(request.headers);
  const route = (
    request: ProviderRequest,
  ): { route: string; handle: (rule?: { outcome?: OpenAiOutcome }) => ProviderResponse | Promise<ProviderResponse> } | undefined => {
    if (request.method === 'POST' && request.path === '/v1/conversations')
      return { route: 'conversations', handle: () => createConversation(request, keyOf(request)) };
    if (request.method === 'POST' && request.path === '/v1/responses')
      return { route: 'responses', handle: (rule) => createResponse(request, keyOf(request), rule?.outcome) };
    const items = /^\/v1\/conversations\/([^/]+)\/items$/.exec(request.path);
    if (request.method === 'GET' && items)
      return { route: 'conversations.items', handle: () => listItems(request, items[1]!, keyOf(request)) };
    if (request.method === 'POST' && items)
      return { route: 'conversations.items.create', handle: () => addItems(request, items[1]!, keyOf(request)) };
    if (request.path.startsWith('/v1/'))
      return { route: 'unknown', handle: () => openAiError(404, `Invalid URL (${request.method} ${request.path})`) };
    return undefined;
  };
  /**
   * The tokens a response request counts against the key's tokens-per-minute limit, as OpenAI
   * reckons it before running the model: an estimate of the input from its characters (about four
   * a token: the instructions, input, prompt variables, output schema and the conversation's
   * items, which the model reads) plus the most it may write, `max_output_tokens` or
   * `defaultOutputTokens`.
   */
  const requestedTokens = (request: ProviderRequest, defaultOutputTokens: number): number => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const ref = body.conversation;
    const conversationId = typeof ref === 'string' ? ref : (ref as { id?: string } | undefined)?.id;
    const items = conversationId ? (owned(conversationId, keyOf(request))?.items ?? []) : [];
    const input = tokens(
      JSON.stringify([
        body.instructions ?? '',
        body.input ?? '',
        (body.prompt as { variables?: unknown } | undefined)?.variables ?? '',
        body.text ?? '',
        items,
      ]),
    );
    const output = typeof body.max_output_tokens === 'number' ? body.max_output_tokens : defaultOutputTokens;
    return input + output;
  };
  /** How many responses were refused with conversation_locked (a test asserts none were). */
  /** The conversations, for a stack that keeps its data across restarts (none is locked once saved). */
  const snapshot = () => [...conversations.values()].map((conversation) => ({ ...conversation, locked: false }));
  const restore = (saved: StoredConversation[]) => {
    for (const conversation of saved) conversations.set(conversation.id, { ...conversation, locked: false });
  };
  return Object.assign(route, { locksRefused: () => locksRefused, requestedTokens, snapshot, restore });
};
