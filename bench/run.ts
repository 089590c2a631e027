/**
 * `pnpm bench`: figures, not assertions. Prints one table and writes bench/results.json.
 *   router over HTTP   serverless-offline + DynamoDB Local + fauxqs, autocannon at 1 and 10 connections
 *   router in process  the use case with in-memory fakes, and validation + Context Object build alone (tinybench)
 * Options: --duration <seconds per HTTP run> (default 10)
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Bench } from 'tinybench';
import { buildContextObject, createDynamoDocumentClient, dynamoCompanyRepository, onboardCompany, parseJsonBody, validateInitiateRequest } from '@ai-multi-comms/core';
import { startLocalStack } from '@ai-multi-comms/local-stack';
import { initiateConversation } from '../services/router/src/initiate-conversation';
import { API_KEY, fakeDeps } from '../services/router/test/fakes';

const args = process.argv.slice(2);
const durationSeconds = Number(args[args.indexOf('--duration') + 1] || 10) || 10;

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
        channel_config: { whatsapp: { company_whatsapp_number: '+447700900999', whatsapp_credentials_id: 'ai-multi-comms/whatsapp-credentials/b/b/twilio-dev' } },
      },
      { repository: dynamoCompanyRepository(createDynamoDocumentClient(), stack.resources.companyDataTable!) },
    );
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
