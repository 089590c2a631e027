/**
 * `pnpm bench`: figures, not assertions. Prints one table and writes the same figures to
 * bench/results.json.
 *   router in process     validation + Context Object build, and the use case with in-memory fakes
 *   processor in process  processRecord with every dependency an instant fake (the pipeline's own cost)
 *   router over HTTP      serverless-offline + emulators at 1 and 10 connections, beside GET /health
 *                         (no I/O, same server, same API key check) as the ceiling
 *   pipeline              N conversations HTTP → compose → SNS → sender → provider through the whole
 *                         local stack: throughput, end-to-end p50/p99, lost and duplicated counted
 *                         against the provider server; the same with the providers' status callbacks
 *                         on (the stack's default), side by side, with the whole stack's peak memory;
 *                         then the same with 10 % of OpenAI and Twilio
 *                         calls failing; then N/4 three-channel requests (fan-out): requests/s,
 *                         per channel end-to-end and lost/duplicated, and the AWS calls per request
 *                         and per message by kind, counted at the emulators
 *   router container      the router's handler in a process of its own, invoked directly (no
 *                         serverless-offline), one request at a time: latency and peak RSS
 *   memory                peak RSS of a WhatsApp processor container and of serverless-offline
 *   cold start            each function's bundle (as serverless-esbuild builds it) and module
 *                         initialisation, against a floor bundle creating only its SDK clients
 *   router floor          beside the router container: the same AWS calls issued directly with
 *                         the SDK, and the sequential round trips per request of each
 *   burst                 N SMS conversations at once against an OpenAI key limited to 600
 *                         requests/min and a sender limited to 20 messages/s with a one-minute
 *                         queue (the local providers enforce both): delivered, DLQ, permanent,
 *                         lost, duplicated and the delivered rate against the binding limit, with
 *                         the governor on and then off (docs/throughput.md)
 * Options:
 *   --n <conversations>   per pipeline run (default 1000)
 *   --clients <n>         concurrent HTTP clients of the pipeline (default 6: enough to keep the
 *                         processors busy here; more only queues requests and adds worker threads)
 *   --containers <n>      processor containers (processes) per channel, one batch each at a time (default 3)
 *   --duration <seconds>  per HTTP measurement (default 10)
 *   --only-pipeline       the in-process figures, the pipeline (callbacks off and on), the fan-out pipelines
 *                         (one call and one per channel), replies' tokens and the three-channel bursts
 *   --burst <n>           conversations per burst (default 2000); --only-burst: the in-process figures and the bursts
 *   --burst3 <n>          three-channel requests per burst of them (default 600), combined and one call per channel
 *   --only-cold-start     the in-process figures and cold start (no local stack)
 *   --log-file <path>     append the functions' logs (router and processors) to this file
 *   --cpu-prof <dir>      V8 CPU profiles of the pollers and serverless-offline, written on stop;
 *                         `tsx bench/profile-summary.ts <dir>` says where the time went
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { createSqsClient } from '@ai-multi-comms/core';
import { LocalStack, startLocalStack } from '@ai-multi-comms/local-stack';
import { routerInProcess, processorInProcess } from './lib/in-process';
import { routerOverHttp } from './lib/http-load';
import { routerContainer } from './lib/router-container';
import { peakRssMiB } from './lib/memory';
import { pipeline, PipelineRun } from './lib/pipeline';
import { peakTreeRssDuring } from './lib/stack-memory';
import { burst } from './lib/burst';
import { fanOutBurst } from './lib/burst-fan-out';
import { onboardBenchProject } from './lib/bench-projects';
import { compareCompose, replyTokens } from './lib/openai-usage';
import { coldStart } from './lib/cold-start';
import { costPer10k } from './lib/cost';
import { Report } from './lib/report';
import { BENCH_COMPANY } from './lib/requests';

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const numberOption = (name: string, fallback: number) => Number(option(name)) || fallback;
const n = numberOption('--n', 1000);
const clients = numberOption('--clients', 6);
const containers = numberOption('--containers', 3);
const durationSeconds = numberOption('--duration', 10);
const cpuProfileDir = option('--cpu-prof');
const logFile = option('--log-file');
const burstN = numberOption('--burst', 2000);
const fanOutBurstN = numberOption('--burst3', 600);
const BURST_LIMITS = { openAiRpm: 600, senderPerSecond: 20, queueSeconds: 60 };

/** A project whose channels cannot share a model call: its three-channel requests are composed one call per channel. */
const PER_CHANNEL_PROJECT = 'pi-bench-per-channel';
const BENCH_WHATSAPP_NUMBER = '+447700900999';

/**
 * Three-channel requests composed in one call, then the same with one call per channel, side by
 * side; then what a reply costs in tokens (people of the clean run write back).
 */
const fanOutPipelines = async (stack: LocalStack, report: Report, clean: PipelineRun) => {
  const fanOutRequests = Math.max(1, Math.round(n / 4));
  const fanOutRun = (label: string, projectId: string) =>
    pipeline(stack, report, {
      label,
      n: fanOutRequests,
      clients,
      companyId: BENCH_COMPANY.company_id,
      projectId,
      transientFailureRate: 0,
      channels: ['whatsapp', 'sms', 'email'],
    });
  console.error(`[bench] fan-out pipeline: ${fanOutRequests} three-channel requests, one model call each…`);
  const fanOut = await fanOutRun('pipeline_fan_out', BENCH_COMPANY.project_id);
  console.error(`[bench] fan-out pipeline: ${fanOutRequests} three-channel requests, one call per channel…`);
  const perChannel = await fanOutRun('pipeline_fan_out_one_call_per_channel', PER_CHANNEL_PROJECT);
  compareCompose(report, fanOut, perChannel);
  console.error('[bench] replies: OpenAI tokens per answer…');
  await replyTokens(stack, report, clean, BENCH_WHATSAPP_NUMBER);
  return fanOut;
};

/**
 * The bench's projects, each with numbers of its own (the sender directory maps a number to one
 * project, so the people's replies reach the right one). One OpenAI key for every channel: a
 * request's channels share one thread. The limits are stated far above what the machine can do,
 * so the governor never holds these runs back (the burst measures the limits).
 */
const onboardBenchProjects = async (stack: LocalStack) => {
  const projects: [string, string, string][] = [
    [BENCH_COMPANY.project_id, BENCH_WHATSAPP_NUMBER, '+447700900998'],
    ['pi-bench-faults', '+447700900994', '+447700900993'],
    [PER_CHANNEL_PROJECT, '+447700900992', '+447700900991'],
  ];
  for (const [projectId, whatsapp, sms] of projects) {
    await onboardBenchProject(stack, {
      projectId,
      channels: ['whatsapp', 'sms', 'email'],
      openAi: {
        keySecret: 'ai-multi-comms/openai-api-key/ci-aaa-001-dev',
        requestsPerMinute: 1_000_000,
        // The per-channel project names e-mail's model by its snapshot: to the compose step a
        // different model, so its requests take one call per channel (as before issue 30).
        model: (channel) => (projectId === PER_CHANNEL_PROJECT && channel === 'email' ? 'gpt-4o-mini-2024-07-18' : 'gpt-4o-mini'),
      },
      senders: { whatsapp, sms, email: `${projectId}@acme-care.example.com` },
      messagesPerSecond: { whatsapp: 10_000, sms: 10_000 },
    });
  }
};

/**
 * The clean pipeline with the providers' status callbacks off (the other runs' setting: they
 * measure the engine's own path), then the same with them on, as the stack runs by default:
 * throughput side by side and the whole local stack's peak memory (every process the bench
 * started, summed at each sample).
 */
const callbacksOffAndOn = async (stack: LocalStack, report: Report): Promise<PipelineRun> => {
  const run = (label: string) =>
    pipeline(stack, report, {
      label,
      n,
      clients,
      companyId: BENCH_COMPANY.company_id,
      projectId: BENCH_COMPANY.project_id,
      transientFailureRate: 0,
    });
  console.error(`[bench] pipeline: ${n} conversations, status callbacks off…`);
  const off = await peakTreeRssDuring(() => run('pipeline'));
  console.error(`[bench] pipeline: ${n} conversations, status callbacks on…`);
  stack.providerServers.setAutomaticCallbacks(true);
  const on = await peakTreeRssDuring(async () => {
    const figures = await run('pipeline_callbacks_on');
    // The callbacks of the last sends are still arriving: the stack's peak includes them.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return figures;
  });
  stack.providerServers.setAutomaticCallbacks(false);
  const share = on.result.per_second / off.result.per_second;
  report.row(
    'pipeline: status callbacks on against off, conversations/s (share)',
    `${on.result.per_second.toFixed(1)} against ${off.result.per_second.toFixed(1)} (${(share * 100).toFixed(0)} %)`,
  );
  report.row(
    'pipeline: peak memory of the whole local stack, callbacks off / on',
    `${off.peakMiB?.toFixed(0)} / ${on.peakMiB?.toFixed(0)} MiB`,
  );
  report.record('callbacks', {
    off_per_second: Number(off.result.per_second.toFixed(2)),
    on_per_second: Number(on.result.per_second.toFixed(2)),
    on_share_of_off: Number(share.toFixed(3)),
    stack_peak_rss_mib_off: off.peakMiB !== undefined ? Math.round(off.peakMiB) : null,
    stack_peak_rss_mib_on: on.peakMiB !== undefined ? Math.round(on.peakMiB) : null,
  });
  return off.result;
};

const overTheStack = async (report: Report) => {
  const stack = await startLocalStack({
    ports: 'random',
    containersPerFunction: containers,
    // Off the measured paths (answers to replies, events to clients): one container each, which
    // keeps the whole stack's memory to what the pipeline needs.
    containersOfService: { reply: 1, 'client-events': 1 },
    cpuProfileDir,
    apiLogFile: logFile,
    countAwsCalls: true,
    providerCallbacks: false,
    log: (line) => console.error(`[stack] ${line}`),
  });
  try {
    Object.assign(process.env, stack.env);
    await onboardBenchProjects(stack);

    if (args.includes('--only-burst')) {
      await burst(stack, report, { n: burstN, clients, ...BURST_LIMITS });
      return;
    }
    if (args.includes('--only-pipeline')) {
      const clean = await callbacksOffAndOn(stack, report);
      const fanOut = await fanOutPipelines(stack, report, clean);
      costPer10k(report, [clean, fanOut]);
      await fanOutBurst(stack, report, { n: fanOutBurstN, clients, openAiRpm: BURST_LIMITS.openAiRpm });
      return;
    }
    console.error('[bench] router over HTTP (queue pollers paused)…');
    await Promise.all(stack.pollers.map((poller) => poller.pause()));
    await routerOverHttp(stack, report, durationSeconds);
    await routerContainer(stack, report);
    const sqs = createSqsClient();
    await sqs.send(new PurgeQueueCommand({ QueueUrl: stack.resources.composeQueueUrl }));
    sqs.destroy();
    stack.pollers.forEach((poller) => poller.resume());

    const clean = await callbacksOffAndOn(stack, report);
    console.error(`[bench] pipeline with 10 % transient failures: ${n} conversations…`);
    const faulty = await pipeline(stack, report, {
      label: 'pipeline_10pct_transient_failures',
      n,
      clients,
      companyId: BENCH_COMPANY.company_id,
      projectId: 'pi-bench-faults',
      transientFailureRate: 0.1,
    });
    report.row(
      'pipeline, 10 % failing: extra time against the clean run',
      `${(faulty.seconds - clean.seconds).toFixed(1)} s (${((faulty.seconds / clean.seconds - 1) * 100).toFixed(0)} %), p50 +${faulty.end_to_end_p50_ms - clean.end_to_end_p50_ms} ms`,
    );
    const fanOut = await fanOutPipelines(stack, report, clean);
    costPer10k(report, [clean, fanOut]);

    const whatsapp = stack.pollers.find((poller) => poller.name.includes('whatsapp'));
    const memory = {
      whatsapp_processor_peak_rss_mib: Math.max(...(whatsapp?.processes ?? []).map((container) => peakRssMiB(container.child.pid) ?? NaN)),
      router_serverless_offline_peak_rss_mib: peakRssMiB(stack.apiProcess.child.pid),
    };
    report.row(
      'peak RSS: a WhatsApp processor container (the largest of them)',
      `${memory.whatsapp_processor_peak_rss_mib?.toFixed(0)} MiB`,
    );
    report.row(
      'peak RSS: serverless-offline running the router (the framework and the handlers, in process)',
      `${memory.router_serverless_offline_peak_rss_mib?.toFixed(0)} MiB`,
    );
    report.record('memory', memory);

    await burst(stack, report, { n: burstN, clients, ...BURST_LIMITS });
    await fanOutBurst(stack, report, { n: fanOutBurstN, clients, openAiRpm: BURST_LIMITS.openAiRpm });
  } finally {
    await stack.stop();
  }
};

const main = async () => {
  const report = new Report({
    measured_at: new Date().toISOString(),
    node: process.version,
    n,
    clients,
    duration_seconds: durationSeconds,
    containers_per_channel: containers,
  });
  await routerInProcess(report);
  await processorInProcess(report);
  if (!args.includes('--only-burst') && !args.includes('--only-pipeline')) await coldStart(report);
  if (args.includes('--only-cold-start')) return finish(report);
  await overTheStack(report);
  finish(report);
};

const finish = (report: Report) => {
  console.log(`\n${report.table()}`);
  writeFileSync(join(__dirname, 'results.json'), `${JSON.stringify(report.results, null, 2)}\n`);
  console.log('\nwritten to bench/results.json');
  if (cpuProfileDir) console.log(`CPU profiles in ${cpuProfileDir}: npx tsx bench/profile-summary.ts ${cpuProfileDir}`);
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
