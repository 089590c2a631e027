import { SQSClient } from '@aws-sdk/client-sqs';
import type { LocalStack } from '@ai-multi-comms/local-stack';
import { ensureOpenAiKey, onboardBenchProject } from './bench-projects';
import { dlqDepth, setLimits } from './burst';
import { pipeline } from './pipeline';
import { Report } from './report';
import { BENCH_COMPANY } from './requests';

/**
 * A burst of three-channel requests against an OpenAI key the local OpenAI limits to `openAiRpm`
 * (the binding limit under the providers' limits): once with the combined compose (one model call
 * per request) and once with the channels on different model names, which falls back to one call
 * per channel (how every request was composed before issue 30). Delivered requests per second
 * count requests whose three messages were all sent (the engine's items, each one message at the
 * providers); DLQ is what the run added to the dead-letter queues.
 */
const KEY_SECRET = 'ai-multi-comms/openai-api-key/bench-burst3-dev';
const KEY = 'sk-local-bench-burst3';
const SMS_SENDER = '+447700900996';
const WHATSAPP_SENDER = '+447700900995';
const SMS_PER_SECOND = 20;
const PROJECTS = { combined: 'pi-bench-burst3', per_channel: 'pi-bench-burst3-per-channel' } as const;

const onboard = async (stack: LocalStack, openAiRpm: number) => {
  await ensureOpenAiKey(stack, KEY_SECRET, KEY);
  for (const [mode, projectId] of Object.entries(PROJECTS)) {
    await onboardBenchProject(stack, {
      projectId,
      channels: ['whatsapp', 'sms', 'email'],
      openAi: {
        keySecret: KEY_SECRET,
        requestsPerMinute: openAiRpm,
        // The same model under its snapshot name: a different model to the compose step, so one call per channel.
        model: (channel) => (mode === 'per_channel' && channel === 'email' ? 'gpt-4o-mini-2024-07-18' : 'gpt-4o-mini'),
      },
      senders: {
        whatsapp: mode === 'combined' ? WHATSAPP_SENDER : '+447700900990',
        sms: mode === 'combined' ? SMS_SENDER : '+447700900989',
        email: `${projectId}@acme-care.example.com`,
      },
      messagesPerSecond: { sms: SMS_PER_SECOND },
    });
  }
};

export const fanOutBurst = async (stack: LocalStack, report: Report, options: { n: number; clients: number; openAiRpm: number }) => {
  await onboard(stack, options.openAiRpm);
  await setLimits(stack, {
    openai: { keys: { [KEY]: options.openAiRpm } },
    twilio: { senders: { [SMS_SENDER]: SMS_PER_SECOND, '+447700900989': SMS_PER_SECOND }, queue_seconds: 60 },
  });
  const results: Record<string, unknown> = {};
  try {
    for (const [mode, projectId] of Object.entries(PROJECTS)) {
      console.error(
        `[bench] burst: ${options.n} three-channel requests, ${mode === 'combined' ? 'one model call each' : 'one call per channel'}…`,
      );
      const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
      const dlqBefore = await dlqDepth(sqs);
      const run = await pipeline(stack, report, {
        label: `burst_three_channel_${mode}`,
        n: options.n,
        clients: options.clients,
        companyId: BENCH_COMPANY.company_id,
        projectId,
        transientFailureRate: 0,
        channels: ['whatsapp', 'sms', 'email'],
        quiet: true,
      });
      const dlq = (await dlqDepth(sqs)) - dlqBefore;
      sqs.destroy();
      const delivered = Math.min(...Object.values(run.per_channel).map((channel) => channel.sent));
      const figures = {
        accepted: run.accepted,
        delivered_requests: delivered,
        delivered_requests_per_second: Number((delivered / run.seconds).toFixed(2)),
        lost: run.lost,
        duplicated: run.duplicated,
        dlq,
        seconds: Number(run.seconds.toFixed(1)),
        openai: run.openai,
      };
      results[mode] = figures;
      report.row(
        `burst of ${options.n} three-channel requests, OpenAI ${options.openAiRpm}/min, ${mode === 'combined' ? 'one model call per request' : 'one call per channel'}: delivered requests/s; lost / duplicated / DLQ; responses per request`,
        `${figures.delivered_requests_per_second}/s (${delivered} in ${figures.seconds} s); ${figures.lost} / ${figures.duplicated} / ${dlq}; ${run.openai.responses_per_request}`,
      );
      // Let the key's minute window and the senders' queues empty before the comparison.
      await new Promise((resolve) => setTimeout(resolve, 61_000));
    }
  } finally {
    await fetch(`${stack.providerServers.url}/__limits`, { method: 'DELETE' });
  }
  const combined = results.combined as { delivered_requests_per_second: number };
  const perChannel = results.per_channel as { delivered_requests_per_second: number };
  const speedUp = combined.delivered_requests_per_second / Math.max(0.01, perChannel.delivered_requests_per_second);
  report.row('burst of three-channel requests: delivered requests/s, combined against one call per channel', `${speedUp.toFixed(2)}×`);
  report.record('burst_three_channel', { ...results, speed_up: Number(speedUp.toFixed(2)) });
};
