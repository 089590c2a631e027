/**
 * The runbook's repair step for a POST_SEND_UPDATE_FAILED CRITICAL line, in one command:
 *   pnpm repair <file with the log line | -> (--local | --stage dev) [--apply]
 * Reads the CRITICAL line(s) (as CloudWatch shows them, or the JSON alone), checks that they name
 * this target's tables, and shows, for each, the items now and what the repair writes (a dry run,
 * the default). With --apply it writes the final update the processor could not: the message item
 * `sent` with its provider id, the message entry appended to the conversation, its status, in one
 * transaction, written once (a second run finds it repaired and writes nothing).
 * Exit 0 done (or nothing to do), 1 a repair failed, 2 usage (no repair object in the input).
 */
import { readFileSync } from 'node:fs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  applyPostSendRepair,
  createDynamoDocumentClient,
  entryKeyOf,
  dynamoDeliveryRepository,
  PostSendRepair,
  repairsInLog,
} from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { resolveTarget } from './lib/target';

const USAGE = 'pnpm repair <file with the CRITICAL line | -> (--local | --stage <stage>) [--apply]';

const main = async () => {
  const {
    target: targetOptions,
    positionals,
    values,
  } = parseCommandLine(process.argv.slice(2), {
    usage: USAGE,
    example:
      'npx -y pnpm@9.15.9 repair critical.json --stage prod          # dry run: what it would write\n  npx -y pnpm@9.15.9 repair critical.json --stage prod --apply',
    options: { apply: 'boolean' },
  });
  const [source] = positionals;
  if (!source || positionals.length > 1) {
    console.error(`usage: ${USAGE}`);
    process.exit(2);
  }
  let text: string;
  try {
    text = readFileSync(source === '-' ? 0 : source, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    console.error(
      `${source}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable (permission denied)' : 'cannot be read'}. Give the file holding the CRITICAL lines, or - to read them from standard input.`,
    );
    process.exit(2);
  }
  const { repairs, reasons } = repairsInLog(text);
  for (const reason of reasons) console.error(`skipped ${reason}`);
  if (repairs.length === 0) {
    console.error('No POST_SEND_UPDATE_FAILED repair object in the input: paste the whole CRITICAL line. Nothing was done.');
    process.exit(2);
  }
  const target = await resolveTarget(targetOptions);
  const foreign = repairs.filter((r) => r.message.table !== target.messagesTable || r.conversation.table !== target.conversationsTable);
  if (foreign.length > 0) {
    console.error(
      `The line names tables ${foreign[0]!.message.table} / ${foreign[0]!.conversation.table}, not ${target.description}'s (${target.messagesTable} / ${target.conversationsTable}): give the stage it came from. Nothing was done.`,
    );
    process.exit(2);
  }
  const documents = createDynamoDocumentClient();
  const deliveries = dynamoDeliveryRepository(documents, {
    conversationsTable: target.conversationsTable!,
    messagesTable: target.messagesTable!,
  });
  let failed = 0;
  for (const repair of repairs) {
    await describe(documents, repair);
    if (!values.apply) continue;
    try {
      const result = await applyPostSendRepair(repair, deliveries, new Date());
      console.log(result === 'repaired' ? '  repaired.' : '  already repaired: nothing written.');
    } catch (error) {
      failed += 1;
      console.error(
        `  not repaired: ${(error as Error).message} (the items changed since the line was logged? \`pnpm conversation\` shows them)`,
      );
    }
  }
  if (!values.apply) console.log(`\nDry run: nothing was written. Run again with --apply to repair ${repairs.length} message(s).`);
  if (failed > 0) process.exit(1);
};

const describe = async (documents: ReturnType<typeof createDynamoDocumentClient>, repair: PostSendRepair) => {
  const message = (await documents.send(new GetCommand({ TableName: repair.message.table, Key: repair.message.key, ConsistentRead: true })))
    .Item;
  const conversation = (
    await documents.send(new GetCommand({ TableName: repair.conversation.table, Key: repair.conversation.key, ConsistentRead: true }))
  ).Item;
  const entry = (
    await documents.send(
      new GetCommand({
        TableName: repair.message.table,
        Key: {
          conversation_id: repair.conversation.key.conversation_id,
          message_key: entryKeyOf(repair.conversation.append_message_entry),
        },
        ConsistentRead: true,
      }),
    )
  ).Item;
  console.log(`Conversation ${repair.conversation.key.conversation_id}, message ${repair.message.key.message_key}`);
  console.log(
    `  message item   now ${message ? `${String(message.message_status)}, provider id ${String(message.provider_message_id ?? 'none')}` : 'missing'}  →  sent, provider id ${repair.message.provider_message_id}`,
  );
  console.log(
    `  conversation   now ${conversation ? `${String(conversation.conversation_status)}, ${String(conversation.message_count ?? 0)} message(s)` : 'missing'}  →  ${repair.conversation.conversation_status}, ${entry ? 'entry already there' : `+1 message (${repair.conversation.append_message_entry.role}, ${repair.conversation.append_message_entry.channel})`}`,
  );
};

main().catch((error: unknown) => {
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
