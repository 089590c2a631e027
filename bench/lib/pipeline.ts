import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDocumentClient } from '@ai-multi-comms/core';
import type { LocalStack } from '@ai-multi-comms/local-stack';
import { percentile, Report } from './report';
import { requestBody } from './requests';

export interface PipelineOptions {
  label: string;
  n: number;
  /** Concurrent HTTP clients. */
  clients: number;
  companyId: string;
  projectId: string;
  /** Share of OpenAI and Twilio calls answered with a 500 (a transient failure), 0 for none. */
  transientFailureRate: number;
}

export interface PipelineFigures {
  n: number;
  accepted: number;
  sent: number;
  failed_terminal: number;
  lost: number;
  duplicated: number;
  seconds: number;
  per_second: number;
  end_to_end_p50_ms: number;
  end_to_end_p99_ms: number;
  attempts_over_one: number;
  provider_faults_injected: number;
}

type Item = Record<string, any>;

/** Done for good: sent, or a failure that will not be retried (permanent, or its retries exhausted → DLQ). */
const isTerminal = (item: Item) =>
  item.conversation_status === 'initial_message_sent' ||
  (String(item.conversation_status).startsWith('failed_') && !item.lease_owner && (item.failure_class === 'permanent' || Boolean(item.retries_exhausted_at)));

/**
 * N conversations from HTTP request to provider send through the whole local stack. Lost and
 * duplicated are counted against the provider server's own record of created messages, not
 * against what the engine says about itself.
 */
export const pipeline = async (stack: LocalStack, report: Report, options: PipelineOptions): Promise<PipelineFigures> => {
  const providers = stack.providerServers.url;
  const telPrefix = `+4478${String(Math.floor(Math.random() * 1e3)).padStart(3, '0')}`;
  const tels = Array.from({ length: options.n }, (_v, i) => `${telPrefix}${String(i).padStart(5, '0')}`);
  if (options.transientFailureRate > 0) {
    const rules = (['openai', 'twilio'] as const).map((provider) => ({ provider, status: 500, message: 'bench: injected transient failure', rate: options.transientFailureRate }));
    await fetch(`${providers}/__faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) });
  }
  const requestedAt = new Map<string, number>();
  const startedAt = Date.now();
  let accepted = 0;
  let next = 0;
  const client = async () => {
    while (next < tels.length) {
      const tel = tels[next++]!;
      requestedAt.set(tel, Date.now());
      const response = await fetch(`${stack.apiBaseUrl}/initiate-conversation`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': stack.demoApiKeys.companyA },
        body: requestBody({ companyId: options.companyId, projectId: options.projectId, tel }),
      });
      if (response.status === 200) accepted += 1;
      else console.error(`[bench] ${tel}: ${response.status} ${await response.text()}`);
      await response.arrayBuffer().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));

  const documents = createDynamoDocumentClient();
  const items = async () => {
    const found: Item[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(
        new QueryCommand({
          TableName: stack.resources.conversationsTable,
          IndexName: 'company-project-created-index',
          KeyConditionExpression: 'company_project = :p',
          ExpressionAttributeValues: { ':p': `${options.companyId}#${options.projectId}` },
          ExclusiveStartKey,
        }),
      );
      found.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return found.filter((item) => String(item.primary_channel).startsWith(telPrefix));
  };
  // Until every accepted conversation is terminal, or nothing has moved for 60 s.
  let latest: Item[] = [];
  let lastTerminal = -1;
  let lastProgressAt = Date.now();
  let finishedAt = Date.now();
  for (;;) {
    latest = await items();
    const terminal = latest.filter(isTerminal).length;
    if (terminal !== lastTerminal) {
      lastTerminal = terminal;
      lastProgressAt = Date.now();
      finishedAt = Date.now();
    }
    if (terminal >= accepted) break;
    if (Date.now() - lastProgressAt > 60_000) {
      console.error(`[bench] ${options.label}: stalled at ${terminal}/${accepted} terminal conversations; for example:`);
      for (const item of latest.filter((candidate) => !isTerminal(candidate)).slice(0, 5)) {
        const { primary_channel, conversation_id, conversation_status, attempts, failure_class, failure_reason, lease_owner, send_started_at, updated_at } = item;
        console.error(`  ${JSON.stringify({ primary_channel, conversation_id, conversation_status, attempts, failure_class, failure_reason, lease_owner, send_started_at, updated_at })}`);
      }
      if (latest.length < accepted) console.error(`  ${accepted - latest.length} accepted conversations have no item at all`);
      const stuck = latest.find((candidate) => !isTerminal(candidate));
      if (stuck) {
        const { events } = (await (await fetch(`${providers}/__queue-events?conversationId=${encodeURIComponent(stuck.conversation_id)}`)).json()) as { events: { queueName: string; status: string; timestamp: number }[] };
        console.error(`  its queue history: ${JSON.stringify(events.map((e) => [e.queueName, e.status, new Date(e.timestamp).toISOString()]))}`);
      }
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  let faultsInjected = 0;
  if (options.transientFailureRate > 0) {
    await fetch(`${providers}/__faults`, { method: 'DELETE' });
    // Only this run injects 500s, so every recorded 500 is one of its faults.
    const { requests } = (await (await fetch(`${providers}/__requests`)).json()) as { requests: { status: number }[] };
    faultsInjected = requests.filter((request) => request.status === 500).length;
  }
  documents.destroy();

  const seconds = (finishedAt - startedAt) / 1000;
  const sent = latest.filter((item) => item.conversation_status === 'initial_message_sent');
  const failedTerminal = latest.filter((item) => isTerminal(item) && item.conversation_status !== 'initial_message_sent');
  const { twilio } = (await (await fetch(`${providers}/__messages?provider=twilio`)).json()) as { twilio: { to: string }[] };
  const perRecipient = new Map<string, number>();
  for (const message of twilio.filter((m) => m.to.startsWith(`whatsapp:${telPrefix}`))) perRecipient.set(message.to, (perRecipient.get(message.to) ?? 0) + 1);
  const duplicated = [...perRecipient.values()].filter((count) => count > 1).length;
  // Lost: accepted, but neither sent (one provider message) nor a recorded terminal failure.
  const sentWithOneMessage = sent.filter((item) => perRecipient.get(`whatsapp:${item.primary_channel}`) === 1).length;
  const lost = accepted - sentWithOneMessage - failedTerminal.length;
  const endToEnd = sent.map((item) => Date.parse(item.messages[0].timestamp) - requestedAt.get(item.primary_channel)!);
  const figures: PipelineFigures = {
    n: options.n,
    accepted,
    sent: sent.length,
    failed_terminal: failedTerminal.length,
    lost,
    duplicated,
    seconds,
    per_second: (sent.length + failedTerminal.length) / seconds,
    end_to_end_p50_ms: percentile(endToEnd, 50),
    end_to_end_p99_ms: percentile(endToEnd, 99),
    attempts_over_one: latest.filter((item) => Number(item.attempts) > 1).length,
    provider_faults_injected: faultsInjected,
  };
  const label = `pipeline${options.transientFailureRate > 0 ? `, ${Math.round(options.transientFailureRate * 100)} % of OpenAI and Twilio calls failing` : ''}`;
  report.row(`${label}: ${options.n} conversations HTTP → provider, conversations/s`, figures.per_second.toFixed(1));
  report.row(`${label}: end-to-end (request → provider send) p50 / p99`, `${figures.end_to_end_p50_ms} / ${figures.end_to_end_p99_ms} ms`);
  report.row(`${label}: sent / recorded terminal failures / lost / duplicated`, `${figures.sent} / ${figures.failed_terminal} / ${figures.lost} / ${figures.duplicated}`);
  if (options.transientFailureRate > 0) report.row(`${label}: conversations that needed a retry`, String(figures.attempts_over_one));
  report.record(options.label, figures);
  return figures;
};
