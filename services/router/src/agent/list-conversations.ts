import {
  CHANNELS,
  COMPANY_ID_PATTERN,
  ConversationItem,
  decodeListCursor,
  ErrorCodes,
  FieldError,
  sha256Hex,
  validationError,
} from '@ai-multi-comms/core';
import { authoriseKey } from '../authorise';
import type { AgentDeps } from './agent-deps';

/** One conversation in a list: who, which channel, where it stands; its messages are read with `request_id`. */
export interface ConversationSummary {
  conversation_id: string;
  request_id: string;
  channel: string;
  conversation_status: string;
  hand_off_to_human: boolean;
  hand_off_reason?: string;
  recipient: { first_name?: string; last_name?: string; address: string };
  message_count: number;
  created_at: string;
  updated_at: string;
  last_message_at?: string;
}

export interface ConversationListView {
  status: 'success';
  conversations: ConversationSummary[];
  /** Pass it back as `cursor` for the next (older) page; absent on the last. */
  next_cursor?: string;
}

export const DEFAULT_LIST_LIMIT = 20;
export const MAX_LIST_LIMIT = 100;
/** What `status` may filter on: docs/data-model.md's statuses, and `handed_off` (with a person, whatever the status). */
export const LIST_STATUSES = [
  'handed_off',
  'processing',
  'initial_message_sent',
  'failed_secrets_fetch',
  'failed_to_process_ai',
  'failed_to_send_message',
  'failed_unknown',
  'reply_received',
  'reply_sent',
  'opted_out',
] as const;

const COMPANY_ID = new RegExp(COMPANY_ID_PATTERN);

const parseListQuery = (query: Record<string, string | undefined>) => {
  const problems: FieldError[] = [];
  const problem = (field: string, message: string, code: string = ErrorCodes.VALIDATION_ERROR) => problems.push({ field, code, message });
  for (const name of ['company_id', 'project_id'] as const) {
    if (query[name] === undefined) problem(name, 'is required', ErrorCodes.MISSING_IDENTIFIERS);
    else if (!COMPANY_ID.test(query[name])) problem(name, 'must be 1-64 letters, digits, "-" or "_"');
  }
  const { status, channel, recipient, limit, cursor } = query;
  if (status !== undefined && !(LIST_STATUSES as readonly string[]).includes(status))
    problem('status', `must be one of ${LIST_STATUSES.join(', ')}`);
  if (channel !== undefined && !(CHANNELS as readonly string[]).includes(channel)) problem('channel', 'must be whatsapp, sms or email');
  if (recipient !== undefined && (recipient.length === 0 || recipient.length > 254))
    problem('recipient', 'must be a phone number or e-mail address');
  if (limit !== undefined && !(/^[0-9]{1,3}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= MAX_LIST_LIMIT))
    problem('limit', `must be a whole number from 1 to ${MAX_LIST_LIMIT}`);
  if (cursor !== undefined && !decodeListCursor(cursor)) problem('cursor', 'must be a next_cursor an earlier answer gave');
  if (problems.length > 0)
    throw validationError(
      problems[0]!.code,
      `Invalid query: ${problems[0]!.field} ${problems[0]!.message}${problems.length > 1 ? ` (${problems.length} problems in all; see validation_errors)` : ''}.`,
      problems,
    );
  return {
    companyId: query.company_id!,
    projectId: query.project_id!,
    // E-mail addresses are stored lower case.
    filter: { status, channel, recipient: recipient?.includes('@') ? recipient.trim().toLowerCase() : recipient?.trim() },
    limit: limit === undefined ? DEFAULT_LIST_LIMIT : Number(limit),
    cursor,
  };
};

const text = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

const summaryOf = (item: ConversationItem): ConversationSummary => ({
  conversation_id: item.conversation_id,
  request_id: String(item.request_id),
  channel: String(item.channel_method),
  conversation_status: item.conversation_status,
  hand_off_to_human: item.hand_off_to_human === true,
  ...(item.hand_off_to_human === true && text(item.hand_off_reason) ? { hand_off_reason: text(item.hand_off_reason) } : {}),
  recipient: {
    ...(text(item.recipient_first_name) ? { first_name: text(item.recipient_first_name) } : {}),
    ...(text(item.recipient_last_name) ? { last_name: text(item.recipient_last_name) } : {}),
    address: item.primary_channel,
  },
  message_count: typeof item.message_count === 'number' ? item.message_count : 0,
  created_at: item.created_at,
  updated_at: item.updated_at,
  ...(text(item.last_message_at) ? { last_message_at: text(item.last_message_at) } : {}),
});

/**
 * GET /conversations?company_id&project_id[&status&channel&recipient&limit&cursor] (no
 * request_id): a project's conversations newest first, a page at a time; `status=handed_off` is
 * the agents' queue. The key's binding is the POST's.
 */
export const listConversations = async (
  input: { query: Record<string, string | undefined>; apiKey: string | undefined },
  deps: Pick<AgentDeps, 'companies' | 'list'>,
): Promise<ConversationListView> => {
  const { companyId, projectId, filter, limit, cursor } = parseListQuery(input.query);
  authoriseKey(await deps.companies.get(companyId, projectId), input.apiKey ? sha256Hex(input.apiKey) : undefined);
  const page = await deps.list.page(companyId, projectId, filter, { limit, ...(cursor ? { cursor } : {}) });
  return { status: 'success', conversations: page.items.map(summaryOf), ...(page.next_cursor ? { next_cursor: page.next_cursor } : {}) };
};
