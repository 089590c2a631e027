import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConversationItem } from '../conversations/types';
import { transient } from '../errors/app-error';
import { ErrorCodes } from '../errors/error-codes';

/** Which of a project's conversations a reader wants: all, or those of a status, a channel, a person. */
export interface ConversationFilter {
  /** A conversation status, or `handed_off` (with a person, whatever its status). */
  status?: string;
  channel?: string;
  /** The person's phone number (E.164) or e-mail address: the conversations' partition. */
  recipient?: string;
}

export interface ConversationListPage {
  /** Newest first. */
  items: ConversationItem[];
  /** Opaque: pass it back as `cursor` for the next (older) page; absent on the last page. */
  next_cursor?: string;
}

export interface ConversationList {
  page(
    companyId: string,
    projectId: string,
    filter: ConversationFilter,
    options: { limit: number; cursor?: string },
  ): Promise<ConversationListPage>;
}

const encodeCursor = (key: Record<string, unknown>): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/** The cursor a previous page gave, or undefined when it is not one (the caller answers 400). */
export const decodeListCursor = (cursor: string): Record<string, string> | undefined => {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const entries = Object.entries(value as Record<string, unknown>);
    const allowed = new Set(['company_project', 'created_at', 'primary_channel', 'conversation_id']);
    if (entries.length === 0 || entries.some(([k, v]) => !allowed.has(k) || typeof v !== 'string' || v.length > 2048)) return undefined;
    return Object.fromEntries(entries) as Record<string, string>;
  } catch {
    return undefined;
  }
};

const filterExpression = (filter: ConversationFilter) => {
  const clauses: string[] = [];
  const values: Record<string, unknown> = {};
  if (filter.status === 'handed_off') {
    clauses.push('hand_off_to_human = :true');
    values[':true'] = true;
  } else if (filter.status) {
    clauses.push('conversation_status = :status');
    values[':status'] = filter.status;
  }
  if (filter.channel) {
    clauses.push('channel_method = :channel');
    values[':channel'] = filter.channel;
  }
  if (filter.recipient) {
    clauses.push('primary_channel = :recipient');
    values[':recipient'] = filter.recipient;
  }
  return clauses.length > 0 ? { FilterExpression: clauses.join(' AND '), values } : { values };
};

/**
 * A project's conversations newest first, through the company-project-created-index (no scan);
 * filters apply within it, so a page reads at most `limit × 4` items and may hold fewer than
 * `limit` (then `next_cursor` goes on): DynamoDB filters after it reads, and an unbounded read for
 * a rare status would cost the whole project's history in one request.
 */
export const dynamoConversationList = (client: DynamoDBDocumentClient, tableName: string): ConversationList => ({
  async page(companyId, projectId, filter, { limit, cursor }) {
    const { FilterExpression, values } = filterExpression(filter);
    const items: ConversationItem[] = [];
    let start = cursor ? decodeListCursor(cursor) : undefined;
    let read = 0;
    try {
      do {
        const result = await client.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'company-project-created-index',
            KeyConditionExpression: 'company_project = :project',
            ...(FilterExpression ? { FilterExpression } : {}),
            ExpressionAttributeValues: { ':project': `${companyId}#${projectId}`, ...values },
            ScanIndexForward: false,
            Limit: limit - items.length + (FilterExpression ? limit : 0),
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        read += result.ScannedCount ?? 0;
        for (const item of result.Items ?? []) if (items.length < limit) items.push(item as ConversationItem);
        start = result.LastEvaluatedKey as Record<string, string> | undefined;
        if (items.length >= limit && result.Items && result.Items.length > 0) {
          const last = items.at(-1)!;
          start = {
            company_project: String(last.company_project),
            created_at: String(last.created_at),
            primary_channel: last.primary_channel,
            conversation_id: last.conversation_id,
          };
          break;
        }
      } while (start && read < limit * 4);
    } catch (error) {
      throw transient(ErrorCodes.DATABASE_ERROR, 'The conversations could not be listed.', error);
    }
    return { items, ...(start ? { next_cursor: encodeCursor(start) } : {}) };
  },
});
