import { randomUUID } from 'node:crypto';
import { Bench } from 'tinybench';
import {
  buildContextObject,
  createGovernor,
  inMemoryBucketStore,
  parseJsonBody,
  processRecord,
  toSqsSafeJson,
  validateInitiateRequest,
} from '@ai-multi-comms/core';
import { inMemoryDeliveries } from '@ai-multi-comms/testing';
import { initiateConversation } from '../../services/router/src/initiate-conversation';
import { API_KEY, fakeDeps } from '../../services/router/test/fakes';
import { ms, Report } from './report';
import { composedMessageOf, resolvedRequest } from '@ai-multi-comms/testing/stack';
import { requestBody } from './requests';

/** The router's own work per request: validation + Context Object build, and the whole use case with in-memory fakes. */
export const routerInProcess = async (report: Report) => {
  const { deps } = fakeDeps();
  const company = (await deps.companies.get('ci-aaa-001', 'pi-aaa-001'))!;
  company.rate_limits = {}; // the fake counts every request; the bench must not reach a limit
  const bench = new Bench({ time: 3000, warmupTime: 500, throws: true });
  bench
    .add('validation + Context Object build', () => {
      const request = validateInitiateRequest(parseJsonBody(requestBody()));
      buildContextObject({
        request: resolvedRequest(request, company),
        company,
        receivedAt: new Date(),
        routerVersion: 'bench',
        traceId: 't',
      });
    })
    .add('use case with in-memory fakes', async () => {
      await initiateConversation({ rawBody: requestBody(), apiKey: API_KEY, traceId: 't' }, deps);
    });
  await bench.run();
  for (const task of bench.tasks) {
    const latency = task.result!.latency;
    report.row(`router in process: ${task.name} p50 / p99`, `${ms(latency.p50)} / ${ms(latency.p99)}`);
    report.record(`router_in_process.${task.name}`, { p50_ms: latency.p50, p99_ms: latency.p99, samples: latency.samples.length });
  }
};

/** processRecord with every dependency an instant fake: what the pipeline itself costs per message. */
export const processorInProcess = async (report: Report) => {
  const { deps } = fakeDeps();
  const company = (await deps.companies.get('ci-aaa-001', 'pi-aaa-001'))!;
  // Tens of thousands of sends in a few seconds on one sender: a rate the governor's bucket never
  // reaches 15 minutes ahead on (at WhatsApp's 80/s it would, and put messages back).
  company.channel_config.whatsapp = { ...company.channel_config.whatsapp!, messages_per_second: 10_000 };
  const silent = () => undefined;
  const silentLogger: Record<string, unknown> = {
    info: silent,
    warn: silent,
    error: silent,
    critical: silent,
    appendKeys: silent,
    removeKeys: silent,
  };
  silentLogger.createChild = () => silentLogger;
  const processing = {
    channel: {
      channel: 'whatsapp' as const,
      credentialsSecret: () => ({ name: 'creds', requiredKeys: [] }),
      contentToSend: () => 'hello',
      send: async () => ({ messageId: `SM${randomUUID()}`, content: 'hello' }),
      reconcile: async () => undefined,
      inboundKey: () => 'k',
    },
    deliveries: inMemoryDeliveries(),
    companies: { get: async () => company },
    optOuts: { isOptedOut: async () => false, record: async () => true },
    secrets: { getJson: async () => ({ ai_api_key: 'k' }) as never, evict: () => undefined },
    extendVisibility: async () => undefined,
    // The governor's arithmetic is counted; its waits are not (they are the provider's rate, not our cost).
    governor: createGovernor({
      buckets: inMemoryBucketStore(),
      clock: { now: () => new Date() },
      sleep: async () => undefined,
      config: { enabled: true, maxInlineWaitMs: Number.POSITIVE_INFINITY },
    }),
    clock: { now: () => new Date() },
    logger: silentLogger as never,
    metrics: { count: silent },
    config: {
      visibilityTimeoutSeconds: 905,
      heartbeatIntervalMs: 120_000,
      retryBackoffBaseSeconds: 30,
      retryBackoffMaxSeconds: 900,
      finalUpdateAttempts: 3,
      processorVersion: 'bench',
      conversationsTable: 't',
      messagesTable: 'm',
      maxReceiveCount: 3,
      recordDeadlineMs: 600_000,
    },
  };
  const bench = new Bench({ time: 3000, warmupTime: 500, throws: true });
  bench.add('processRecord, providers and database instant', async () => {
    const contextObject = composedMessageOf(
      buildContextObject({
        request: resolvedRequest(validateInitiateRequest(parseJsonBody(requestBody())), company),
        company,
        receivedAt: new Date(),
        routerVersion: 'bench',
        traceId: 't',
      }),
    );
    const outcome = await processRecord(
      { messageId: 'm', receiptHandle: 'r', body: toSqsSafeJson(contextObject), receiveCount: 1 },
      processing,
    );
    if (outcome.outcome !== 'acknowledge') throw new Error(`unexpected ${outcome.reason}`);
  });
  await bench.run();
  const latency = bench.tasks[0]!.result!.latency;
  report.row('processor in process: per-message overhead p50 / p99', `${ms(latency.p50)} / ${ms(latency.p99)}`);
  report.record('processor_in_process', { p50_ms: latency.p50, p99_ms: latency.p99, samples: latency.samples.length });
};
