/**
 * Look up conversations the way an on-call engineer is asked about them (indexes only, no scan):
 *   pnpm conversation '<conversation_id>'        (--local | --stage dev) [--json]
 *   pnpm conversation --request-id <request_id>  (--local | --stage dev) [--json]
 *   pnpm conversation --recipient <+E164 | e-mail> (--local | --stage dev) [--json]
 *   pnpm conversation --provider-id <Twilio SID | SendGrid message id> (--local | --stage dev) [--json]
 * Prints each conversation as a summary and its messages in order with their delivery status;
 * --json prints {conversations: [{conversation, deliveries, delivery_status}]} for scripts.
 * Exit 4 when nothing matches.
 */
import { DynamoDBDocumentClient, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient, CurrentDelivery, dynamoDeliveryStatusStore, queryAll } from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { ConversationView, formatConversation } from './lib/conversation-view';
import { NOT_FOUND_EXIT, resolveTarget, Target } from './lib/target';

const USAGE =
  "pnpm conversation ('<conversation_id>' | --request-id ID | --recipient ADDRESS | --provider-id ID) (--local | --stage <stage>) [--json]";

type Lookup = { by: 'conversation_id' | 'request_id' | 'recipient' | 'provider_id'; value: string };

// A person or request has a handful of conversations: 100 is far past any real lookup.
const query = (documents: DynamoDBDocumentClient, input: QueryCommandInput) => queryAll(documents, input, 100);

/** The lookup → the conversation ids it names. */
const conversationIdsOf = async (documents: DynamoDBDocumentClient, target: Target, lookup: Lookup): Promise<string[]> => {
  switch (lookup.by) {
    case 'conversation_id':
      return [lookup.value];
    case 'request_id':
      return (
        await query(documents, {
          TableName: target.conversationsTable,
          IndexName: 'request-id-index',
          KeyConditionExpression: 'request_id = :id',
          ExpressionAttributeValues: { ':id': lookup.value },
        })
      ).map((i) => String(i.conversation_id));
    case 'recipient':
      // The table's partition key is the recipient's number or address (docs/data-model.md).
      return (
        await query(documents, {
          TableName: target.conversationsTable,
          KeyConditionExpression: 'primary_channel = :to',
          ExpressionAttributeValues: { ':to': lookup.value },
          ProjectionExpression: 'conversation_id',
        })
      ).map((i) => String(i.conversation_id));
    case 'provider_id':
      return (
        await query(documents, {
          TableName: target.messagesTable,
          IndexName: 'provider-message-id-index',
          KeyConditionExpression: 'provider_message_id = :id',
          ExpressionAttributeValues: { ':id': lookup.value },
        })
      ).map((i) => String(i.conversation_id));
  }
};

const viewOf = async (documents: DynamoDBDocumentClient, target: Target, conversationId: string): Promise<ConversationView[]> => {
  const items = await query(documents, {
    TableName: target.conversationsTable,
    IndexName: 'conversation-id-index',
    KeyConditionExpression: 'conversation_id = :id',
    ExpressionAttributeValues: { ':id': conversationId },
  });
  // The messages table holds the conversation's deliveries and, as items of their own, its message entries (in order).
  const messageItems = target.messagesTable
    ? await query(documents, {
        TableName: target.messagesTable,
        KeyConditionExpression: 'conversation_id = :id',
        ExpressionAttributeValues: { ':id': conversationId },
      })
    : [];
  const deliveries = messageItems.filter((item) => item.kind !== 'entry');
  const entries = messageItems
    .filter((item) => item.kind === 'entry')
    .map(({ conversation_id: _c, message_key: _k, kind: _kind, expires_at: _e, ...entry }) => entry);
  const views: ConversationView[] = [];
  for (const found of items) {
    const conversation = {
      ...found,
      messages: [...(Array.isArray(found.messages) ? (found.messages as Record<string, unknown>[]) : []), ...entries],
    };
    const ids = (conversation.messages as { message_id?: string; role?: string }[])
      .filter((m) => m.role !== 'user' && m.message_id)
      .map((m) => m.message_id!);
    const current =
      target.deliveryEventsTable && ids.length > 0
        ? await dynamoDeliveryStatusStore(documents, target.deliveryEventsTable).current(ids)
        : new Map<string, CurrentDelivery>();
    views.push({ conversation, deliveries, deliveryStatus: Object.fromEntries(current) });
  }
  return views;
};

const main = async () => {
  const {
    target: targetOptions,
    positionals,
    values,
  } = parseCommandLine(process.argv.slice(2), {
    usage: USAGE,
    example: [
      "npx -y pnpm@9.15.9 conversation 'ci-aaa-001#pi-aaa-001#550e8400-e29b-41d4-a716-446655440001#447700900001' --local",
      '  npx -y pnpm@9.15.9 conversation --request-id 550e8400-e29b-41d4-a716-446655440001 --local',
      '  npx -y pnpm@9.15.9 conversation --recipient +447700900123 --stage dev --json',
    ].join('\n'),
    options: { 'request-id': 'string', recipient: 'string', 'provider-id': 'string', json: 'boolean' },
  });
  const lookups: Lookup[] = [
    ...positionals.map((value) => ({ by: 'conversation_id' as const, value })),
    ...(values['request-id'] ? [{ by: 'request_id' as const, value: String(values['request-id']) }] : []),
    ...(values.recipient ? [{ by: 'recipient' as const, value: String(values.recipient) }] : []),
    ...(values['provider-id'] ? [{ by: 'provider_id' as const, value: String(values['provider-id']) }] : []),
  ];
  if (lookups.length !== 1) {
    console.error(`Give exactly one of: a conversation id, --request-id, --recipient, --provider-id.\nusage: ${USAGE}`);
    process.exit(2);
  }
  const lookup = lookups[0]!;
  const target = await resolveTarget(targetOptions);
  if (!target.conversationsTable || !target.messagesTable) throw new Error('The target has no conversations or messages table');
  const documents = createDynamoDocumentClient();
  const ids = [...new Set(await conversationIdsOf(documents, target, lookup))];
  const views = (await Promise.all(ids.map((id) => viewOf(documents, target, id)))).flat();
  views.sort((a, b) => String(a.conversation.created_at).localeCompare(String(b.conversation.created_at)));
  if (views.length === 0) {
    console.error(`No conversation with ${lookup.by} ${lookup.value} in ${target.description}.`);
    process.exit(NOT_FOUND_EXIT);
  }
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          conversations: views.map((v) => ({ conversation: v.conversation, deliveries: v.deliveries, delivery_status: v.deliveryStatus })),
        },
        null,
        2,
      ),
    );
    return;
  }
  console.log(views.map(formatConversation).join('\n\n'));
};

main().catch((error: unknown) => {
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
