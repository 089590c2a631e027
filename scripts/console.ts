/**
 * The console against a deployed stage, on this machine, with your AWS credentials:
 *   pnpm console --stage dev [--port 4000] [--allow-actions]
 * Bound to 127.0.0.1. Read-only unless --allow-actions: then the agent's reply box and hand-back
 * (through the stage's API, with a project key you type in the page) and the DLQ redrive buttons
 * work. Locally, `pnpm start` already serves the console (with the person's side and a playground);
 * `pnpm console --local` serves one more over the running local stack.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startConsoleServer } from '@ai-multi-comms/console';
import { CompanyProject, createDynamoDocumentClient, createSqsClient } from '@ai-multi-comms/core';
import { parseCommandLine } from './lib/command-line';
import { resolveTarget } from './lib/target';

const QUEUES = ['compose', 'reply', 'whatsapp', 'sms', 'email', 'client-events'];

const main = async () => {
  const { target: targetOptions, values } = parseCommandLine(process.argv.slice(2), {
    usage: 'pnpm console (--local | --stage <stage>) [--port 4000] [--allow-actions]',
    example: 'npx -y pnpm@9.15.9 console --stage dev',
    options: { port: 'string', 'allow-actions': 'boolean' },
  });
  const target = await resolveTarget(targetOptions);
  const required = (name: string, value: string | undefined) => {
    if (!value) throw new Error(`The ${name} table is not deployed on ${target.description}.`);
    return value;
  };
  const documents = createDynamoDocumentClient();
  const queues = await Promise.all(QUEUES.map(async (name) => ({ name, ...(await target.queues(name)) })));
  const server = await startConsoleServer({
    port: values.port === undefined ? 4000 : Number(values.port),
    documents,
    sqs: createSqsClient(),
    projects: async () => ((await documents.send(new ScanCommand({ TableName: target.companyDataTable }))).Items ?? []) as CompanyProject[],
    target: {
      stage: target.stage,
      local: false,
      actions: values['allow-actions'] === true,
      tables: {
        companyData: target.companyDataTable,
        conversations: required('conversations', target.conversationsTable),
        messages: required('messages', target.messagesTable),
        threads: required('threads', target.threadsTable),
        deliveryEvents: target.deliveryEventsTable,
      },
      queues,
      apiBaseUrl: (await target.webhookBaseUrl()) ?? '',
      apiKeys: {},
    },
  });
  console.log(
    `Console for ${target.description}: ${server.url}${values['allow-actions'] ? '' : '  (read-only; --allow-actions for its buttons)'}`,
  );
  console.log('Ctrl-C stops it.');
  process.on('SIGINT', () => void server.stop().then(() => process.exit(0)));
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
