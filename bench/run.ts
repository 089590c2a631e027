/**
 * `pnpm bench`: figures, not assertions. Prints one table and writes bench/results.json.
 *   router over HTTP     serverless-offline + DynamoDB Local + fauxqs, autocannon at 1 and 10 connections
 *   router in process    the use case with in-memory fakes, and validation + Context Object build alone (tinybench)
 *   processor in process processRecord with every dependency an instant in-memory fake: the pipeline's own cost
 *   pipeline             N conversations from HTTP request to Twilio send through the whole local stack
 *                        (provider servers answering at once): throughput, end-to-end p50/p99, lost, duplicated
 * Options: --duration <seconds per HTTP run> (default 10), --n <conversations> (default 300)
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Bench } from 'tinybench';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  buildContextObject,
  createDynamoDocumentClient,
  dynamoCompanyRepository,
  onboardCompany,
  parseJsonBody,
  processRecord,
  toSqsSafeJson,
  validateInitiateRequest,
} from '@ai-multi-comms/core';
import { inMemoryConversations } from '../test/support/in-memory-conversations';
import { startLocalStack } from '@ai-multi-comms/local-stack';
import { initiateConversation } from '../services/router/src/initiate-conversation';
import { API_KEY, fakeDeps } from '../services/router/test/fakes';

const args = process.argv.slice(2);
const numberArg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) || fallback : fallback);
const durationSeconds = numberArg('--duration', 10);
const pipelineN = numberArg('--n', 300);

const requestBody = (companyId = 'ci-aaa-001', projectId = 'pi-aaa-001') =>
  JSON.stringify({
    company_data: { company_id: companyId, project_id: projectId },
    recipient_data: { recipient_first_name: 'John', recipient_last_name: 'Doe', recipient_tel: '+447700900123', recipient_email: 'john.doe@example.com', comms_consent: true },
    project_data: { jobID: '9999', jobRole: 'Healthcare Assistant', clarificationPoints: [{ point: 'Night shifts?' }, { point: 'Driving licence?' }] },
    request_data: { request_id: randomUUID(), channel_method: 'whatsapp', initial_request_timestamp: '2025-09-15T11:45:32.789Z' },
  });

interface Row {
  figure: string;
  value: string;
}
const rows: Row[] = [];
const results: Record<string, unknown> = { measured_at: new Date().toISOString(), node: process.version };
const ms = (value: number | undefined) => `${(value ?? NaN).toFixed(3)} ms`;

const inProcess = async () => {
  const { deps } = fakeDeps();
  // A limit the bench cannot reach: the fake counts every request.
  const company = (await deps.companies.get('ci-aaa-001', 'pi-aaa-001'))!;
  company.rate_limits = {};
  const bench = new Bench({ time: 3000, warmupTime: 500 });
  bench
    .add('validation + Context Object build', () => {
      const request = validateInitiateRequest(parseJsonBody(requestBody()));
      buildContextObject({ request, company, receivedAt: new Date(), routerVersion: 'bench', traceId: 't' });
    })
    .add('use case with in-memory fakes', async () => {
      await initiateConversation({ rawBody: requestBody(), apiKey: API_KEY, traceId: 't' }, deps);
    });
  await bench.run();
  for (const task of bench.tasks) {
    const latency = task.result!.latency;
    rows.push({ figure: `router in process: ${task.name} p50 / p99`, value: `${ms(latency.p50)} / ${ms(latency.p99)}` });
    results[`in_process.${task.name}`] = { p50_ms: latency.p50, p99_ms: latency.p99, samples: latency.samples.length };
  }
};

const processorInProcess = async () => {
  const { deps } = fakeDeps();
  const company = (await deps.companies.get('ci-aaa-001', 'pi-aaa-001'))!;
  const bench = new Bench({ time: 3000, warmupTime: 500 });
  const conversations = inMemoryConversations();
  const processing = {
    channel: {
      channel: 'whatsapp' as const,
      credentialsSecret: () => ({ name: 'creds', requiredKeys: [] }),
      outputSchema: () => undefined,
      send: async () => ({ messageId: `SM${randomUUID()}`, content: 'hello' }),
      reconcile: async () => undefined,
      inboundKey: () => 'k',
    },
    conversations,
    secrets: { getJson: async () => ({ ai_api_key: 'k' }) as never },
    ai: async () => ({ threadId: 'conv_1', text: 'hello', usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
    extendVisibility: async () => undefined,
    clock: { now: () => new Date() },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined, critical: () => undefined, appendKeys: () => undefined, removeKeys: () => undefined } as never,
    metrics: { count: () => undefined },
    config: { visibilityTimeoutSeconds: 905, heartbeatIntervalMs: 120_000, retryBackoffBaseSeconds: 30, retryBackoffMaxSeconds: 900, finalUpdateAttempts: 3, processorVersion: 'bench', conversationsTable: 't' },
  };
  bench.add('processRecord, providers and database instant', async () => {
    const contextObject = buildContextObject({ request: validateInitiateRequest(parseJsonBody(requestBody())), company, receivedAt: new Date(), routerVersion: 'bench', traceId: 't' });
    const outcome = await processRecord({ messageId: 'm', receiptHandle: 'r', body: toSqsSafeJson(contextObject), receiveCount: 1 }, processing);
    if (outcome.outcome !== 'acknowledge') throw new Error(`unexpected ${outcome.reason}`);
  });
  await bench.run();
  const latency = bench.tasks[0]!.result!.latency;
  rows.push({ figure: 'processor in process: per-message overhead p50 / p99', value: `${ms(latency.p50)} / ${ms(latency.p99)}` });
  results['processor_in_process'] = { p50_ms: latency.p50, p99_ms: latency.p99, samples: latency.samples.length };
};

/** N conversations through router → queue → poller → processor → providers; counts checked against the provider server. */
const pipeline = async (stack: Awaited<ReturnType<typeof startLocalStack>>, projectId: string) => {
  const telPrefix = `+4478${String(Math.floor(Math.random() * 1e3)).padStart(3, '0')}`;
  const tels = Array.from({ length: pipelineN }, (_v, i) => `${telPrefix}${String(i).padStart(5, '0')}`);
  const startedAt = Date.now();
  let accepted = 0;
  let next = 0;
  const worker = async () => {
    while (next < tels.length) {
      const tel = tels[next++]!;
      const body = JSON.parse(requestBody('ci-bench-001', projectId));
      body.recipient_data.recipient_tel = tel;
      const response = await fetch(`${stack.apiBaseUrl}/initiate-conversation`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': stack.demoApiKeys.companyA }, body: JSON.stringify(body) });
      if (response.status === 200) accepted += 1;
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  const documents = createDynamoDocumentClient();
  const sentItems = async () => {
    const items: Record<string, any>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await documents.send(new QueryCommand({ TableName: stack.resources.conversationsTable, IndexName: 'company-project-created-index', KeyConditionExpression: 'company_project = :p', ExpressionAttributeValues: { ':p': `ci-bench-001#${projectId}` }, ExclusiveStartKey }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  };
  // Wait until every accepted conversation is terminal (sent or failed), or nothing moves for 60 s.
  let items: Record<string, any>[] = [];
  let lastProgress = Date.now();
  let lastTerminal = -1;
  for (;;) {
    items = await sentItems();
    const terminal = items.filter((item) => item.conversation_status === 'initial_message_sent' || (String(item.conversation_status).startsWith('failed_') && !item.lease_owner)).length;
    if (terminal >= accepted) break;
    if (terminal !== lastTerminal) {
      lastTerminal = terminal;
      lastProgress = Date.now();
    } else if (Date.now() - lastProgress > 60_000) {
      console.error(`[bench] pipeline stalled at ${terminal}/${accepted} terminal conversations`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const elapsedSeconds = (Date.now() - startedAt) / 1000;
  const sent = items.filter((item) => item.conversation_status === 'initial_message_sent');
  const { twilio } = (await (await fetch(`${stack.providerServers.url}/__messages?provider=twilio`)).json()) as { twilio: { to: string }[] };
  const twilioToBench = twilio.filter((message) => message.to.startsWith(`whatsapp:${telPrefix}`));
  const perRecipient = new Map<string, number>();
  for (const message of twilioToBench) perRecipient.set(message.to, (perRecipient.get(message.to) ?? 0) + 1);
  const duplicated = [...perRecipient.values()].filter((count) => count > 1).length;
  const lost = accepted - sent.length;
  const latencies = sent.map((item) => Date.parse(item.messages[0].timestamp) - Date.parse(item.created_at)).sort((a, b) => a - b);
  const endToEnd = sent.map((item) => Date.parse(item.messages[0].timestamp) - startedAt);
  const pct = (values: number[], p: number) => values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? NaN;
  rows.push({ figure: `pipeline: ${pipelineN} conversations, HTTP → Twilio send: conversations/s`, value: (sent.length / elapsedSeconds).toFixed(1) });
  rows.push({ figure: 'pipeline: processor time per message (claim → recorded) p50 / p99', value: `${pct(latencies, 50)} ms / ${pct(latencies, 99)} ms` });
  rows.push({ figure: 'pipeline: lost / duplicated', value: `${lost} / ${duplicated}` });
  results['pipeline'] = { n: pipelineN, accepted, sent: sent.length, seconds: elapsedSeconds, per_second: sent.length / elapsedSeconds, processor_p50_ms: pct(latencies, 50), processor_p99_ms: pct(latencies, 99), last_sent_after_ms: Math.max(...endToEnd), lost, duplicated, twilio_messages: twilioToBench.length };
};

const overHttp = async () => {
  const stack = await startLocalStack({ ports: 'random', log: (line) => console.error(`[stack] ${line}`) });
  try {
    Object.assign(process.env, stack.env);
    // A project with no practical rate limit, so that the figures measure the router, not the 429s.
    await onboardCompany(
      {
        company_id: 'ci-bench-001',
        project_id: 'pi-bench-001',
        company_name: 'Bench',
        project_name: 'Bench',
        project_status: 'active',
        allowed_channels: ['whatsapp'],
        api_keys: [stack.demoApiKeys.companyA],
        rate_limits: { requests_per_minute: 100_000_000, requests_per_day: 100_000_000 },
        ai_config: { openai_config: { whatsapp: { api_key_reference: 'ai-multi-comms/openai-api-key/whatsapp-dev', model: 'gpt-4o-mini', instructions: 'x' } } },
        channel_config: { whatsapp: { company_whatsapp_number: '+447700900999', whatsapp_credentials_id: 'ai-multi-comms/whatsapp-credentials/ci-aaa-001/pi-aaa-001/twilio-dev' } },
      },
      { repository: dynamoCompanyRepository(createDynamoDocumentClient(), stack.resources.companyDataTable!) },
    );
    await pipeline(stack, 'pi-bench-001');
    const url = `${stack.apiBaseUrl}/initiate-conversation`;
    for (const connections of [1, 10]) {
      // Warm-up: serverless-offline starts one worker per concurrent invocation, each with a cold start.
      await autocannon({
        url,
        connections,
        duration: 3,
        requests: [{ method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': stack.demoApiKeys.companyA }, setupRequest: (request) => ({ ...request, body: requestBody('ci-bench-001', 'pi-bench-001') }) }],
      });
      const result = await autocannon({
        url,
        connections,
        duration: durationSeconds,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': stack.demoApiKeys.companyA },
            setupRequest: (request) => ({ ...request, body: requestBody('ci-bench-001', 'pi-bench-001') }),
          },
        ],
      });
      const non2xx = result.non2xx + result.errors + result.timeouts;
      rows.push({ figure: `router over HTTP, ${connections} connection(s): requests/s`, value: result.requests.average.toFixed(1) });
      rows.push({ figure: `router over HTTP, ${connections} connection(s): p50 / p99 latency`, value: `${result.latency.p50} ms / ${result.latency.p99} ms` });
      rows.push({ figure: `router over HTTP, ${connections} connection(s): non-2xx / errors`, value: String(non2xx) });
      results[`http.${connections}`] = { requests_per_second: result.requests.average, p50_ms: result.latency.p50, p99_ms: result.latency.p99, total: result.requests.total, non_2xx_or_errors: non2xx };
    }
  } finally {
    await stack.stop();
  }
};

const main = async () => {
  await inProcess();
  await processorInProcess();
  await overHttp();
  const width = Math.max(...rows.map((row) => row.figure.length));
  console.log(`\n${'figure'.padEnd(width)}  value\n${'-'.repeat(width)}  ${'-'.repeat(24)}`);
  for (const row of rows) console.log(`${row.figure.padEnd(width)}  ${row.value}`);
  writeFileSync(join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('\nwritten to bench/results.json');
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
