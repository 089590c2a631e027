/**
 * Look up a conversation by its id (the conversation-id-index; no scan):
 *   pnpm conversation '<company>#<project>#<request_id>#<channel part>' --local | --stage dev
 * Prints the conversation item and its messages' delivery items (the messages table) as JSON.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient } from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { resolveTarget } from './lib/target';

const main = async () => {
  const { target: targetOptions, positionals } = parseCommandLine(process.argv.slice(2), {
    usage: "pnpm conversation '<conversation_id>' (--local | --stage <stage>)",
    example: "npx -y pnpm@9.15.9 conversation 'ci-aaa-001#pi-aaa-001#550e8400-e29b-41d4-a716-446655440001#447700900001' --local",
  });
  const conversationId = positionals[0];
  if (!conversationId) {
    console.error("usage: pnpm conversation '<conversation_id>' (--local | --stage <stage>)");
    process.exit(2);
  }
  const target = await resolveTarget(targetOptions);
  if (!target.conversationsTable) throw new Error('The target has no conversations table');
  const { Items = [] } = await createDynamoDocumentClient().send(
    new QueryCommand({
      TableName: target.conversationsTable,
      IndexName: 'conversation-id-index',
      KeyConditionExpression: 'conversation_id = :id',
      ExpressionAttributeValues: { ':id': conversationId },
    }),
  );
  if (Items.length === 0) {
    console.error(`No conversation ${conversationId} in ${target.description}.`);
    process.exit(1);
  }
  const deliveries = target.messagesTable
    ? ((await createDynamoDocumentClient().send(new QueryCommand({ TableName: target.messagesTable, KeyConditionExpression: 'conversation_id = :id', ExpressionAttributeValues: { ':id': conversationId } }))).Items ?? [])
    : [];
  console.log(JSON.stringify({ conversation: Items.length === 1 ? Items[0] : Items, deliveries }, null, 2));
};

main().catch((error: unknown) => {
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
