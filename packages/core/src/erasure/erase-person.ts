import { textOf } from '../util/text-of';
import { twilioAddressOf } from '../channels';
import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { queryAll } from '../aws/query-all';
import { threadKeyOf } from '../composing/types';
import { idempotencyKey } from '../idempotency/idempotency-store';

/** Every table that can hold something of a person (docs/data-model.md "Personal data"). */
export interface ErasureTables {
  conversationsTable: string;
  messagesTable: string;
  deliveryEventsTable: string;
  threadsTable: string;
  inboundMessagesTable: string;
  idempotencyTable: string;
  optOutsTable: string;
  erasureAuditTable: string;
}

type Key = Record<string, string>;

/** What erasing one person removes, table by table (the keys: an erasure is planned, shown, then applied). */
export interface ErasurePlan {
  conversations: Key[];
  messages: Key[];
  deliveryEvents: Key[];
  threads: Key[];
  idempotency: Key[];
  inboundMessages: Key[];
  optOuts: Key[];
}

export type ErasureCounts = Record<keyof ErasurePlan, number>;

const countsOf = (plan: ErasurePlan): ErasureCounts =>
  Object.fromEntries(Object.entries(plan).map(([table, keys]) => [table, (keys as Key[]).length])) as ErasureCounts;

/**
 * A scan of a table no index leads to by the person, filtered (an inbound message that matched no
 * conversation; an opt-out for a company the person never had a conversation with). Erasure is a
 * rare operator action: a paged scan, with progress, is cheaper than an index kept for it.
 */
const scanAll = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  filter: string,
  values: Record<string, unknown>,
  names: Record<string, string> | undefined,
  progress: (scanned: number) => void,
) => {
  const keys: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  let scanned = 0;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: filter,
        ExpressionAttributeValues: values,
        ExpressionAttributeNames: names,
        ExclusiveStartKey: start,
      }),
    );
    keys.push(...(page.Items ?? []));
    scanned += page.ScannedCount ?? 0;
    progress(scanned);
    start = page.LastEvaluatedKey;
  } while (start);
  return keys;
};

/**
 * Everything stored of the person with these identifiers (phone numbers in E.164, e-mail
 * addresses; all of one person's in one run): their conversations (the table's partition key is
 * the address) and every other conversation of the same requests (a request's conversations on
 * its other channels hold the same person's number and address), each one's message items,
 * delivery events, the request's AI thread item and idempotency record, the inbound messages they
 * sent (linked or not), and their opt-outs.
 */
export const planErasure = async (
  client: DynamoDBDocumentClient,
  tables: ErasureTables,
  identifiers: string | string[],
  progress: (what: string) => void = () => undefined,
): Promise<ErasurePlan> => {
  const given = (Array.isArray(identifiers) ? identifiers : [identifiers])
    .map((identifier) => twilioAddressOf(identifier.trim()).number)
    .filter(Boolean);
  const { conversations, byAddress } = await findConversations(client, tables, given);
  progress(`conversations: ${conversations.length} (${conversations.length - byAddress} on the same requests' other channels)`);
  const held = await itemsOfConversations(client, tables, conversations);
  progress(`message items: ${held.messages.length}, delivery events: ${held.deliveryEvents.length}`);
  const bare = [...new Set(given.flatMap((address) => [address, address.toLowerCase()]))];
  const values = Object.fromEntries(bare.map((address, index) => [`:a${index}`, address]));
  const fromThem = await scanAll(
    client,
    tables.inboundMessagesTable,
    `from_address IN (${Object.keys(values).join(', ')})`,
    values,
    undefined,
    (n) => progress(`inbound messages scanned: ${n}`),
  );
  for (const item of fromThem) held.inbound.set(String(item.inbound_id), { inbound_id: String(item.inbound_id) });
  // opt_out_key = company#channel#address (normalised: e-mail lower-cased).
  const suffixes = given.map((address) => `#${address.startsWith('+') ? address : address.toLowerCase()}`);
  const optOutValues = Object.fromEntries(suffixes.map((suffix, index) => [`:s${index}`, suffix]));
  const optOuts = await scanAll(
    client,
    tables.optOutsTable,
    Object.keys(optOutValues)
      .map((name) => `contains(opt_out_key, ${name})`)
      .join(' OR '),
    optOutValues,
    undefined,
    (n) => progress(`opt-outs scanned: ${n}`),
  );
  return {
    conversations: conversations.map((c) => ({ primary_channel: String(c.primary_channel), conversation_id: String(c.conversation_id) })),
    messages: held.messages,
    deliveryEvents: held.deliveryEvents,
    threads: [...held.threads.values()],
    idempotency: [...held.idempotency.values()],
    inboundMessages: [...held.inbound.values()],
    optOuts: optOuts
      .filter((o) => suffixes.some((suffix) => String(o.opt_out_key).endsWith(suffix)))
      .map((o) => ({ opt_out_key: String(o.opt_out_key) })),
  };
};

/** The person's conversations (the table's partition key is the address) and the same requests' other conversations (request-id-index, keys only; request ids are the clients', so this company and project's only). */
const findConversations = async (client: DynamoDBDocumentClient, tables: ErasureTables, given: string[]) => {
  const addresses = [...new Set(given.flatMap((address) => [address, address.toLowerCase()]))];
  const byAddress = (
    await Promise.all(
      addresses.map((a) =>
        queryAll(client, {
          TableName: tables.conversationsTable,
          KeyConditionExpression: 'primary_channel = :a',
          ExpressionAttributeValues: { ':a': a },
        }),
      ),
    )
  ).flat();
  const found = new Map<string, Record<string, unknown>>(
    byAddress.map((c) => [`${textOf(c.primary_channel)}|${textOf(c.conversation_id)}`, c]),
  );
  for (const conversation of byAddress) {
    const prefix = `${textOf(conversation.company_id)}#${textOf(conversation.project_id)}#${textOf(conversation.request_id)}#`;
    const keys = await queryAll(client, {
      TableName: tables.conversationsTable,
      IndexName: 'request-id-index',
      KeyConditionExpression: 'request_id = :id',
      ExpressionAttributeValues: { ':id': conversation.request_id },
    });
    for (const key of keys.filter((k) => String(k.conversation_id).startsWith(prefix))) {
      const id = `${textOf(key.primary_channel)}|${textOf(key.conversation_id)}`;
      if (found.has(id)) continue;
      const sibling = (
        await queryAll(client, {
          TableName: tables.conversationsTable,
          KeyConditionExpression: 'primary_channel = :p AND conversation_id = :c',
          ExpressionAttributeValues: { ':p': key.primary_channel, ':c': key.conversation_id },
        })
      )[0];
      if (sibling) found.set(id, sibling);
    }
  }
  return { conversations: [...found.values()], byAddress: byAddress.length };
};

/** What each conversation leads to: its message items, their delivery events, its request's thread item and idempotency record, the person's inbound messages. */
const itemsOfConversations = async (client: DynamoDBDocumentClient, tables: ErasureTables, conversations: Record<string, unknown>[]) => {
  const held = {
    messages: [] as Key[],
    deliveryEvents: [] as Key[],
    threads: new Map<string, Key>(),
    idempotency: new Map<string, Key>(),
    inbound: new Map<string, Key>(),
  };
  for (const conversation of conversations) {
    const conversationId = String(conversation.conversation_id);
    const items = await queryAll(client, {
      TableName: tables.messagesTable,
      KeyConditionExpression: 'conversation_id = :id',
      ExpressionAttributeValues: { ':id': conversationId },
    });
    held.messages.push(...items.map((m) => ({ conversation_id: conversationId, message_key: String(m.message_key) })));
    const providerIds = new Set(items.map((m) => m.provider_message_id).filter((id): id is string => typeof id === 'string'));
    // The conversation's message entries (their own items, queried above with the deliveries; an
    // older conversation may still hold them as a list): ours lead to delivery events, the
    // person's to their inbound messages.
    const entries = [
      ...items.filter((m) => m.kind === 'entry'),
      ...(Array.isArray(conversation.messages) ? (conversation.messages as Record<string, unknown>[]) : []),
    ] as { message_id?: string; role?: string }[];
    for (const entry of entries) {
      if ((entry.role === 'assistant' || entry.role === 'agent') && entry.message_id) providerIds.add(entry.message_id);
      if (entry.role === 'user' && entry.message_id) held.inbound.set(entry.message_id, { inbound_id: entry.message_id });
    }
    for (const providerMessageId of providerIds) {
      const events = await queryAll(client, {
        TableName: tables.deliveryEventsTable,
        KeyConditionExpression: 'provider_message_id = :id',
        ExpressionAttributeValues: { ':id': providerMessageId },
        ProjectionExpression: 'provider_message_id, event_key',
      });
      held.deliveryEvents.push(...events.map((e) => ({ provider_message_id: providerMessageId, event_key: String(e.event_key) })));
    }
    const [companyId, projectId, requestId] = [conversation.company_id, conversation.project_id, conversation.request_id].map(String) as [
      string,
      string,
      string,
    ];
    held.threads.set(threadKeyOf(companyId, projectId, requestId), { thread_key: threadKeyOf(companyId, projectId, requestId) });
    held.idempotency.set(idempotencyKey(companyId, projectId, requestId), {
      idempotency_key: idempotencyKey(companyId, projectId, requestId),
    });
    for (const id of conversation.inbound_ids instanceof Set
      ? [...(conversation.inbound_ids as Set<string>)]
      : Array.isArray(conversation.inbound_ids)
        ? (conversation.inbound_ids as string[])
        : [])
      held.inbound.set(id, { inbound_id: id });
  }
  return held;
};

const TABLE_OF: Record<keyof ErasurePlan, keyof ErasureTables> = {
  conversations: 'conversationsTable',
  messages: 'messagesTable',
  deliveryEvents: 'deliveryEventsTable',
  threads: 'threadsTable',
  idempotency: 'idempotencyTable',
  inboundMessages: 'inboundMessagesTable',
  optOuts: 'optOutsTable',
};

/** Deletes in batches of 25 (BatchWriteItem's limit), unprocessed keys retried with backoff. */
const deleteAll = async (client: DynamoDBDocumentClient, tableName: string, keys: Key[], sleep: (ms: number) => Promise<void>) => {
  for (let i = 0; i < keys.length; i += 25) {
    let pending: Record<string, unknown>[] = keys.slice(i, i + 25).map((key) => ({ DeleteRequest: { Key: key } }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 8)
        throw new Error(
          `DynamoDB kept ${pending.length} deletion(s) of ${tableName} unprocessed; run the erasure again (it is idempotent)`,
        );
      if (attempt > 0) await sleep(50 * 2 ** attempt);
      const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }));
      pending = (result.UnprocessedItems?.[tableName] ?? []) as Record<string, unknown>[];
    }
  }
};

export interface ErasureAudit {
  erasure_id: string;
  erased_at: string;
  requested_by: string;
  /** The ticket or request reference the operator gives; never the person's data. */
  reason: string;
  counts: ErasureCounts;
}

/**
 * Erase the plan's items, the conversations last (they lead to the rest, so an interrupted
 * erasure can be run again and finds what is left), then write the audit entry: who, when, why,
 * how many items per table; nothing of the person.
 */
export const applyErasure = async (
  client: DynamoDBDocumentClient,
  tables: ErasureTables,
  plan: ErasurePlan,
  who: { requestedBy: string; reason: string },
  now: Date,
  progress: (what: string) => void = () => undefined,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<ErasureAudit> => {
  const order: (keyof ErasurePlan)[] = [
    'deliveryEvents',
    'messages',
    'inboundMessages',
    'threads',
    'idempotency',
    'optOuts',
    'conversations',
  ];
  for (const table of order) {
    await deleteAll(client, tables[TABLE_OF[table]], plan[table], sleep);
    progress(`${table}: ${plan[table].length} erased`);
  }
  const audit: ErasureAudit = {
    erasure_id: randomUUID(),
    erased_at: now.toISOString(),
    requested_by: who.requestedBy,
    reason: who.reason,
    counts: countsOf(plan),
  };
  await client.send(new PutCommand({ TableName: tables.erasureAuditTable, Item: audit }));
  return audit;
};

export { countsOf as erasureCounts };
