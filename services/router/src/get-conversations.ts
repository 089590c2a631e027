import {
  Channel,
  CompanyRepository,
  COMPANY_ID_PATTERN,
  ConversationItem,
  ConversationList,
  ConversationKey,
  ConversationEntries,
  CurrentDelivery,
  decodeEntryCursor,
  MessageEntry,
  DeliveryStatusStore,
  ErrorCodes,
  FieldError,
  idempotencyKey,
  IdempotencyStore,
  notFound,
  sha256Hex,
  ThreadItem,
  threadKeyOf,
  UUID_PATTERN,
  validationError,
} from '@ai-multi-comms/core';
import { authoriseKey } from './authorise';

/** What GET /conversations reads; tests pass emulator-backed or fake implementations. */
export interface GetConversationsDeps {
  companies: Pick<CompanyRepository, 'get'>;
  threads: { get(threadKey: string): Promise<ThreadItem | undefined> };
  conversations: { get(key: ConversationKey): Promise<ConversationItem | undefined> };
  idempotency: Pick<IdempotencyStore, 'peek'>;
  /** Each sent message's delivery status, from the providers' callbacks. */
  deliveries: Pick<DeliveryStatusStore, 'current'>;
  /** Each conversation's messages, a page at a time (their own items). */
  entries: Pick<ConversationEntries, 'page'>;
  /** A project's conversations newest first (GET /conversations without request_id). */
  list: ConversationList;
}

/** Messages per conversation in one answer when the client names no `messages_limit`, and the most it may ask for. */
export const DEFAULT_MESSAGES_LIMIT = 100;
export const MAX_MESSAGES_LIMIT = 500;

export interface ConversationView {
  channel: Channel;
  conversation_id: string;
  conversation_status: string;
  hand_off_to_human: boolean;
  failure_reason?: string;
  /** How many messages the conversation holds in all. */
  message_count: number;
  /** Present when older messages exist: pass it back as `before` (with this `conversation_id`) for the page before. */
  messages_before?: string;
  messages: {
    message_id: string;
    role: 'assistant' | 'user' | 'agent';
    /** For `agent`: the name the person at the company gave. */
    agent_name?: string;
    channel: Channel;
    content: string;
    timestamp: string;
    delivery_status: string;
    delivery_error_code?: string;
    delivery_error?: string;
  }[];
}

export interface ConversationsView {
  status: 'success';
  request_id: string;
  thread_id: string | null;
  conversations: ConversationView[];
}

const COMPANY_ID = new RegExp(COMPANY_ID_PATTERN);
const UUID = new RegExp(UUID_PATTERN);

interface ParsedQuery {
  company_id: string;
  project_id: string;
  request_id: string;
  messages_limit: number;
  /** An older page of one conversation: its id and the cursor a previous answer gave. */
  page?: { conversation_id: string; before: string };
}

/** The query's ids and paging, every problem listed. */
const parseQuery = (query: Record<string, string | undefined> | null): ParsedQuery => {
  const problems: FieldError[] = [];
  const value = (name: string) => query?.[name];
  for (const name of ['company_id', 'project_id'] as const) {
    if (value(name) === undefined) problems.push({ field: name, code: ErrorCodes.MISSING_IDENTIFIERS, message: 'is required' });
    else if (!COMPANY_ID.test(value(name)!))
      problems.push({ field: name, code: ErrorCodes.VALIDATION_ERROR, message: 'must be 1-64 letters, digits, "-" or "_"' });
  }
  if (value('request_id') === undefined)
    problems.push({ field: 'request_id', code: ErrorCodes.MISSING_REQUEST_ID, message: 'is required' });
  else if (!UUID.test(value('request_id')!))
    problems.push({ field: 'request_id', code: ErrorCodes.INVALID_REQUEST_ID, message: 'must be a UUID' });
  const limit = value('messages_limit');
  if (limit !== undefined && !(/^[0-9]{1,3}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= MAX_MESSAGES_LIMIT)) {
    problems.push({
      field: 'messages_limit',
      code: ErrorCodes.VALIDATION_ERROR,
      message: `must be a whole number from 1 to ${MAX_MESSAGES_LIMIT}`,
    });
  }
  const before = value('before');
  const pageOf = value('conversation_id');
  if (before !== undefined && (!pageOf || !decodeEntryCursor(before)))
    problems.push({
      field: 'before',
      code: ErrorCodes.VALIDATION_ERROR,
      message: 'must be a messages_before cursor, given with its conversation_id',
    });
  if (problems.length > 0) {
    throw validationError(
      problems[0]!.code,
      `Invalid query: ${problems[0]!.field} ${problems[0]!.message}${problems.length > 1 ? ` (${problems.length} problems in all; see validation_errors)` : ''}.`,
      problems,
    );
  }
  return {
    company_id: value('company_id')!,
    project_id: value('project_id')!,
    request_id: value('request_id')!.toLowerCase(),
    messages_limit: limit === undefined ? DEFAULT_MESSAGES_LIMIT : Number(limit),
    ...(before && pageOf ? { page: { conversation_id: pageOf, before } } : {}),
  };
};

/** Before a sender has claimed it, a conversation is what the thread says of it. */
const pendingStatus = (thread: ThreadItem | undefined): string =>
  thread?.status === 'failed' ? (thread.failure_class === 'permanent' ? 'failed_to_process_ai' : 'processing') : 'queued';

const viewOf = (
  channel: Channel,
  conversationId: string,
  item: ConversationItem | undefined,
  thread: ThreadItem | undefined,
  page: { entries: MessageEntry[]; before?: string } = { entries: [] },
  deliveries = new Map<string, CurrentDelivery>(),
): ConversationView => ({
  channel,
  conversation_id: conversationId,
  conversation_status: item?.conversation_status ?? pendingStatus(thread),
  hand_off_to_human: item?.hand_off_to_human === true,
  ...(item?.failure_reason
    ? { failure_reason: item.failure_reason }
    : !item && thread?.failure_reason
      ? { failure_reason: thread.failure_reason }
      : {}),
  message_count: typeof item?.message_count === 'number' ? item.message_count : page.entries.length,
  ...(page.before ? { messages_before: page.before } : {}),
  messages: page.entries.map((message) => {
    const delivery = message.role !== 'user' ? deliveries.get(message.message_id) : undefined;
    return {
      message_id: message.message_id,
      role: message.role,
      ...(message.agent_name ? { agent_name: message.agent_name } : {}),
      channel: message.channel,
      content: message.content,
      timestamp: message.timestamp,
      // Ours: the providers' latest word (callbacks), else `queued` (the provider accepted it). The person's: we received it.
      delivery_status: delivery?.delivery_status ?? (message.role === 'user' ? 'received' : 'queued'),
      ...(delivery?.delivery_error_code ? { delivery_error_code: delivery.delivery_error_code } : {}),
      ...(delivery?.delivery_error ? { delivery_error: delivery.delivery_error } : {}),
    };
  }),
});

/**
 * GET /conversations?company_id=…&project_id=…&request_id=…: a request's thread and its
 * conversations, with statuses and messages. The key's binding is the POST's: a key reads only
 * its own project, and an unknown pair answers as another project's would.
 */
export const getConversations = async (
  input: { query: Record<string, string | undefined> | null; apiKey: string | undefined },
  deps: GetConversationsDeps,
): Promise<ConversationsView> => {
  const { company_id, project_id, request_id, messages_limit, page } = parseQuery(input.query);
  authoriseKey(await deps.companies.get(company_id, project_id), input.apiKey ? sha256Hex(input.apiKey) : undefined);
  const thread = await deps.threads.get(threadKeyOf(company_id, project_id, request_id));
  if (thread) {
    // An older page of one conversation, or the newest page of each.
    const wanted = page ? thread.conversations.filter((c) => c.conversation_id === page.conversation_id) : thread.conversations;
    if (page && wanted.length === 0) throw notFound(ErrorCodes.CONVERSATION_NOT_FOUND, 'This request has no such conversation.');
    const items = await Promise.all(
      wanted.map(({ primary_channel, conversation_id }) => deps.conversations.get({ primary_channel, conversation_id })),
    );
    const pages = await Promise.all(
      wanted.map(({ conversation_id }, index) =>
        items[index]
          ? deps.entries.page(conversation_id, { limit: messages_limit, ...(page ? { before: page.before } : {}) })
          : Promise.resolve({ entries: [] }),
      ),
    );
    const ours = pages.flatMap((p) => p.entries.filter((m) => m.role !== 'user').map((m) => m.message_id));
    const deliveries = ours.length > 0 ? await deps.deliveries.current(ours) : new Map<string, CurrentDelivery>();
    return {
      status: 'success',
      request_id,
      thread_id: thread.thread_id ?? null,
      conversations: wanted.map(({ channel, conversation_id }, index) =>
        viewOf(channel, conversation_id, items[index], thread, pages[index], deliveries),
      ),
    };
  }
  // Accepted, not yet picked up by the compose step (its first seconds).
  const accepted = await deps.idempotency.peek(idempotencyKey(company_id, project_id, request_id));
  if (!accepted) throw notFound(ErrorCodes.CONVERSATION_NOT_FOUND, `This project has no request ${request_id}.`);
  return {
    status: 'success',
    request_id,
    thread_id: null,
    conversations: (accepted.conversations ?? []).map(({ channel, conversation_id }) =>
      viewOf(channel, conversation_id, undefined, undefined),
    ),
  };
};
