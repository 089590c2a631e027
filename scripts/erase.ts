/**
 * Erase one person's data on request (right to erasure), across every table:
 *   pnpm erase --recipient <+E164 | e-mail>[,…] --reason <ticket reference> (--local | --stage dev) [--apply]
 * First a dry run: what would be erased, table by table (item counts only). With --apply: the
 * items are deleted, with progress, conversations last (an interrupted erasure run again finds the
 * rest), then one audit entry (erasure-audit table: id, when, who, the reason, counts per table;
 * nothing of the person) whose id is printed.
 * What this does not reach is in the README ("Personal data"): provider-side copies (Twilio,
 * SendGrid, the OpenAI conversation), logs, DLQ messages and point-in-time-recovery backups.
 */
import { userInfo } from 'node:os';
import { applyErasure, createDynamoDocumentClient, erasureCounts, ErasureTables, planErasure } from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { resolveTarget } from './lib/target';

const USAGE =
  'pnpm erase --recipient <+E164 | e-mail>[,<+E164 | e-mail>…] --reason <ticket reference> (--local | --stage <stage>) [--apply]';

const main = async () => {
  const { target: targetOptions, values } = parseCommandLine(process.argv.slice(2), {
    usage: USAGE,
    example:
      "npx -y pnpm@9.15.9 erase --recipient +447700900123 --reason 'DSR-2026-0142' --stage prod            # dry run\n  npx -y pnpm@9.15.9 erase --recipient +447700900123 --reason 'DSR-2026-0142' --stage prod --apply",
    options: { recipient: 'string', reason: 'string', apply: 'boolean' },
  });
  // One person's identifiers, all at once: --recipient +447700900123,jo@example.com
  const recipients = (typeof values.recipient === 'string' ? values.recipient : '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  const reason = typeof values.reason === 'string' ? values.reason.trim() : '';
  if (
    recipients.length === 0 ||
    recipients.some((recipient) => !/^\+[1-9][0-9]{6,14}$/.test(recipient) && !/^[^\s@]+@[^\s@]+$/.test(recipient))
  ) {
    console.error(
      `--recipient must be the person's phone numbers in E.164 (+447700900123) and e-mail addresses, comma-separated.\nusage: ${USAGE}`,
    );
    process.exit(2);
  }
  if (!reason) {
    console.error(`--reason is required: the request's ticket reference, for the audit entry (not the person's data).\nusage: ${USAGE}`);
    process.exit(2);
  }
  const target = await resolveTarget(targetOptions);
  const tables = {
    conversationsTable: target.conversationsTable,
    messagesTable: target.messagesTable,
    deliveryEventsTable: target.deliveryEventsTable,
    threadsTable: target.threadsTable,
    inboundMessagesTable: target.inboundMessagesTable,
    idempotencyTable: target.idempotencyTable,
    optOutsTable: target.optOutsTable,
    erasureAuditTable: target.erasureAuditTable,
  };
  const missing = Object.entries(tables)
    .filter(([, name]) => !name)
    .map(([table]) => table);
  if (missing.length > 0) throw new Error(`${target.description} lacks ${missing.join(', ')}: deploy services/data first`);
  const documents = createDynamoDocumentClient();
  const progress = (what: string) => process.stderr.write(`  … ${what}\n`);
  console.log(`Finding the person's data in ${target.description}…`);
  const plan = await planErasure(documents, tables as ErasureTables, recipients, progress);
  const counts = erasureCounts(plan);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  for (const [table, count] of Object.entries(counts)) console.log(`  ${table.padEnd(16)} ${count}`);
  if (!values.apply) {
    console.log(`\nDry run: nothing was erased. Run again with --apply to erase these ${total} item(s).`);
    return;
  }
  const audit = await applyErasure(
    documents,
    tables as ErasureTables,
    plan,
    { requestedBy: process.env.ERASURE_REQUESTED_BY ?? userInfo().username, reason },
    new Date(),
    progress,
  );
  console.log(`\nErased ${total} item(s). Audit entry ${audit.erasure_id} (erasure-audit table).`);
  if (plan.optOuts.length > 0)
    console.log(
      "The person's opt-outs were erased too: tell the client to stop sending them requests, or the engine will accept new ones.",
    );
};

main().catch((error: unknown) => {
  console.error(`failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
