/**
 * A project's conversations, newest first (the company-project-created-index; no scan):
 *   pnpm conversations <company_id> <project_id> [--limit 20] (--local | --stage dev)
 * Prints one line per conversation: created_at, status, number of messages, conversation_id, failure reason.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient } from '@ai-multi-comms/core';
import { parseTargetArgs, resolveTarget } from './lib/target';

const main = async () => {
  const { rest, ...targetOptions } = parseTargetArgs(process.argv.slice(2));
  const limitIndex = rest.indexOf('--limit');
  const limit = limitIndex >= 0 ? Number(rest.splice(limitIndex, 2)[1]) : 20;
  const [companyId, projectId] = rest;
  if (!companyId || !projectId) {
    console.error('usage: pnpm conversations <company_id> <project_id> [--limit N] (--local | --stage <stage>)');
    process.exit(2);
  }
  const target = await resolveTarget(targetOptions);
  const { Items = [] } = await createDynamoDocumentClient().send(
    new QueryCommand({
      TableName: target.conversationsTable,
      IndexName: 'company-project-created-index',
      KeyConditionExpression: 'company_project = :project',
      ExpressionAttributeValues: { ':project': `${companyId}#${projectId}` },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  if (Items.length === 0) console.error(`No conversations of ${companyId}/${projectId} in ${target.description}.`);
  for (const item of Items) {
    console.log([item.created_at, item.conversation_status, `messages=${Array.isArray(item.messages) ? item.messages.length : 0}`, item.conversation_id, item.failure_reason ?? ''].join('\t').trimEnd());
  }
};

main().catch((error: unknown) => {
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
