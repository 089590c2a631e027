/**
 * A project's conversations, newest first (the company-project-created-index; no scan):
 *   pnpm conversations <company_id> <project_id> [--limit 20] (--local | --stage dev)
 * Prints one line per conversation: created_at, status, number of messages, conversation_id, failure reason.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient, dynamoCompanyRepository } from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { NOT_FOUND_EXIT, resolveTarget } from './lib/target';

const main = async () => {
  const usage = 'pnpm conversations <company_id> <project_id> [--limit N] (--local | --stage <stage>)';
  const {
    target: targetOptions,
    positionals,
    values,
  } = parseCommandLine(process.argv.slice(2), {
    usage,
    example: 'npx -y pnpm@9.15.9 conversations ci-aaa-001 pi-aaa-001 --limit 5 --local',
    options: { limit: 'string' },
  });
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    console.error(`--limit must be a whole number of at least 1\nusage: ${usage}`);
    process.exit(2);
  }
  const [companyId, projectId] = positionals;
  if (!companyId || !projectId) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  const target = await resolveTarget(targetOptions);
  const documents = createDynamoDocumentClient();
  // A typo in the ids is not "no conversations": the project must exist (exit 4, as the README says).
  if (!(await dynamoCompanyRepository(documents, target.companyDataTable).get(companyId, projectId))) {
    console.error(`No project ${companyId}/${projectId} in ${target.description}.`);
    process.exit(NOT_FOUND_EXIT);
  }
  const { Items = [] } = await documents.send(
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
    console.log(
      [
        item.created_at,
        item.conversation_status,
        `messages=${typeof item.message_count === 'number' ? item.message_count : Array.isArray(item.messages) ? item.messages.length : 0}`,
        item.conversation_id,
        item.failure_reason ?? '',
      ]
        .join('\t')
        .trimEnd(),
    );
  }
};

main().catch((error: unknown) => {
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
