import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalStack } from '@ai-multi-comms/local-stack';
import { ensureOpenAiKey, onboardBenchProject } from './bench-projects';
import { lastProviderSeq, pipeline, PipelineFigures } from './pipeline';
import { Report } from './report';
import { BENCH_COMPANY } from './requests';

/**
 * A campaign burst against real provider limits (docs/throughput.md): N one-channel SMS
 * conversations at once, against an OpenAI key the local OpenAI limits to `openAiRpm` and an SMS
 * sender the local Twilio dispatches at `senderPerSecond` with a queue of `queueSeconds`. Run with
 * the governor on, then the same burst with the senders and compose restarted with it off.
 * Delivered means dispatched by the local Twilio (status `sent`/`delivered`), counted at the
 * provider; DLQ is what the burst added to every dead-letter queue (a redrive sends it); lost is
 * what is none of delivered, a recorded permanent failure or in a DLQ.
 */
export interface BurstOptions {
  n: number;
  clients: number;
  openAiRpm: number;
  senderPerSecond: number;
  queueSeconds: number;
}

export interface BurstFigures
  extends Pick<PipelineFigures, 'accepted' | 'lost' | 'duplicated' | 'seconds' | 'end_to_end_p50_ms' | 'end_to_end_p99_ms'> {
  governor: 'on' | 'off';
  delivered: number;
  dlq: number;
  permanent_failures: number;
  /** Recorded failures whose reason is a rate limit (429, 20429, 21611, 30001). */
  permanent_rate_limit_failures: number;
  twilio_21611: number;
  openai_429: number;
  delivered_per_second: number;
  binding_limit_per_second: number;
  binding_limit: string;
  share_of_binding_limit: number;
}

const BURST_PROJECT = 'pi-bench-burst';
const BURST_SENDER = '+447700900997';
const BURST_KEY_SECRET = 'ai-multi-comms/openai-api-key/bench-burst-dev';
const BURST_KEY = 'sk-local-bench-burst';

export const dlqDepth = async (sqs: SQSClient): Promise<number> => {
  const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({}));
  let depth = 0;
  for (const url of QueueUrls.filter((queue) => /dlq/i.test(queue))) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
    );
    depth +=
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0);
  }
  return depth;
};

export const setLimits = async (stack: LocalStack, limits: unknown) => {
  const response = await fetch(`${stack.providerServers.url}/__limits`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(limits),
  });
  if (response.status !== 200) throw new Error(`POST /__limits: ${response.status} ${await response.text()}`);
};

const onboardBurstProject = async (stack: LocalStack, options: BurstOptions) => {
  await ensureOpenAiKey(stack, BURST_KEY_SECRET, BURST_KEY);
  await onboardBenchProject(stack, {
    projectId: BURST_PROJECT,
    channels: ['sms'],
    openAi: { keySecret: BURST_KEY_SECRET, requestsPerMinute: options.openAiRpm },
    senders: { sms: BURST_SENDER },
    messagesPerSecond: { sms: options.senderPerSecond },
  });
};

const RATE_LIMIT_REASON = /\b(429|20429|21611|30001)\b|rate/i;

const oneBurst = async (stack: LocalStack, report: Report, options: BurstOptions, governor: 'on' | 'off'): Promise<BurstFigures> => {
  const providers = stack.providerServers.url;
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false }); // fauxqs names its queues by a host of its own
  const dlqBefore = await dlqDepth(sqs);
  const requestsBefore = await lastProviderSeq(providers);
  const figures = await pipeline(stack, report, {
    label: `burst_governor_${governor}`,
    n: options.n,
    clients: options.clients,
    companyId: BENCH_COMPANY.company_id,
    projectId: BURST_PROJECT,
    transientFailureRate: 0,
    channels: ['sms'],
    quiet: true,
  });
  const dlq = (await dlqDepth(sqs)) - dlqBefore;
  sqs.destroy();

  const { requests: ours } = (await (await fetch(`${providers}/__requests?after=${requestsBefore}`)).json()) as {
    requests: { provider: string; status: number; error_code?: string | number | null }[];
  };
  const twilio21611 = ours.filter((r) => r.provider === 'twilio' && r.error_code === 21611).length;
  const openAi429 = ours.filter((r) => r.provider === 'openai' && r.status === 429).length;
  const { twilio } = (await (await fetch(`${providers}/__messages?provider=twilio`)).json()) as {
    twilio: { to: string; from: string; status: string; sentAtMs?: number; num_segments: string }[];
  };
  const delivered = twilio.filter(
    (m) =>
      m.from === BURST_SENDER &&
      figures.recipients.has(m.to) &&
      m.sentAtMs !== undefined &&
      (m.status === 'sent' || m.status === 'delivered'),
  );
  const lastSentMs = Math.max(...delivered.map((m) => m.sentAtMs!));
  const seconds = (lastSentMs - figures.started_at_ms) / 1000;
  const segments = delivered.reduce((total, m) => total + Number(m.num_segments), 0) / Math.max(1, delivered.length);
  // The binding limit in conversations per second: one model call per SMS conversation, its segments on the sender.
  const aiPerSecond = options.openAiRpm / 60;
  const senderPerSecond = options.senderPerSecond / segments;
  const binding = Math.min(aiPerSecond, senderPerSecond);
  const deliveredPerSecond = delivered.length / seconds;
  const failed = figures.failed_items;
  const result: BurstFigures = {
    governor,
    accepted: figures.accepted,
    delivered: delivered.length,
    dlq,
    permanent_failures: failed.filter((item) => item.failure_class === 'permanent').length,
    permanent_rate_limit_failures: failed.filter(
      (item) => item.failure_class === 'permanent' && RATE_LIMIT_REASON.test(String(item.failure_reason)),
    ).length,
    // Neither at the provider, nor a recorded permanent failure, nor parked in a DLQ for a redrive.
    lost: 0,
    duplicated: figures.duplicated,
    twilio_21611: twilio21611,
    openai_429: openAi429,
    seconds: Number(seconds.toFixed(1)),
    end_to_end_p50_ms: figures.end_to_end_p50_ms,
    end_to_end_p99_ms: figures.end_to_end_p99_ms,
    delivered_per_second: Number(deliveredPerSecond.toFixed(2)),
    binding_limit_per_second: Number(binding.toFixed(2)),
    binding_limit:
      aiPerSecond <= senderPerSecond
        ? `OpenAI ${options.openAiRpm} requests/min`
        : `sender ${options.senderPerSecond} segments/s at ${segments.toFixed(2)} segments per SMS`,
    share_of_binding_limit: Number((deliveredPerSecond / binding).toFixed(3)),
  };
  result.lost = result.accepted - result.delivered - result.permanent_failures - result.dlq;
  const label = `burst of ${options.n} SMS conversations, governor ${governor}`;
  report.row(
    `${label}: delivered / DLQ / permanent (of which rate limits) / lost / duplicated`,
    `${result.delivered} / ${result.dlq} / ${result.permanent_failures} (${result.permanent_rate_limit_failures}) / ${result.lost} / ${result.duplicated}`,
  );
  report.row(
    `${label}: delivered rate, share of the binding limit (${result.binding_limit})`,
    `${result.delivered_per_second}/s of ${result.binding_limit_per_second}/s = ${(result.share_of_binding_limit * 100).toFixed(1)} %`,
  );
  report.row(
    `${label}: OpenAI 429s, Twilio 21611s; end-to-end p50 / p99`,
    `${openAi429}, ${twilio21611}; ${(result.end_to_end_p50_ms / 1000).toFixed(1)} / ${(result.end_to_end_p99_ms / 1000).toFixed(1)} s`,
  );
  report.record(`burst_governor_${governor}`, result);
  return result;
};

/** The burst with the governor on, then off (compose and senders restarted without it), side by side in one run. */
export const burst = async (stack: LocalStack, report: Report, options: BurstOptions): Promise<void> => {
  await onboardBurstProject(stack, options);
  await setLimits(stack, {
    openai: { keys: { [BURST_KEY]: options.openAiRpm } },
    twilio: { senders: { [BURST_SENDER]: options.senderPerSecond }, queue_seconds: options.queueSeconds },
  });
  // Both runs with the retry backoff a deployment has (30 s, then 60 s: serverless.yml), not the
  // local stack's 1 s, which would let a burst without the governor retry its way through.
  const restart = async (env: Record<string, string>) => {
    await Promise.all(stack.pollers.map((poller) => poller.pause()));
    stack.pollers.forEach((poller) => poller.resume({ RETRY_BACKOFF_BASE_SECONDS: '30', ...env }));
  };
  try {
    console.error(`[bench] burst: ${options.n} conversations, governor on…`);
    await restart({ GOVERNOR_ENABLED: 'true' });
    await oneBurst(stack, report, options, 'on');
    // Let the sender's Twilio queue empty before the comparison starts.
    await new Promise((resolve) => setTimeout(resolve, options.queueSeconds * 1000));
    console.error(`[bench] burst: ${options.n} conversations, governor off…`);
    await restart({ GOVERNOR_ENABLED: 'false' });
    await oneBurst(stack, report, options, 'off');
  } finally {
    await Promise.all(stack.pollers.map((poller) => poller.pause()));
    stack.pollers.forEach((poller) => poller.resume());
    await fetch(`${stack.providerServers.url}/__limits`, { method: 'DELETE' });
  }
};
