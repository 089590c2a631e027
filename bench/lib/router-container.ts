import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LocalStack } from '@ai-multi-comms/local-stack';
import { Report } from './report';

const ROOT = join(__dirname, '..', '..');

interface ContainerFigures {
  requests: number;
  per_second: number;
  p50_ms: number;
  p99_ms: number;
  round_trips_p50: number;
  round_trips_max: number;
  peak_rss_mib?: number;
}

/**
 * The router's handler in a process of its own (one "Lambda container", one request at a time),
 * without serverless-offline: its own latency against the emulators, and its own peak RSS
 * (serverless-offline's RSS holds the framework and every function's handler besides);
 * beside it the floor (router-floor-main.ts), the same AWS calls with nothing else, and the
 * sequential round trips each makes per request (round-trips.ts).
 */
export const routerContainer = async (stack: LocalStack, report: Report, requests = 1000) => {
  const env = {
    ...process.env,
    ...stack.env,
    COMPANY_DATA_TABLE: stack.resources.companyDataTable!,
    IDEMPOTENCY_TABLE: stack.resources.idempotencyTable!,
    RATE_LIMITS_TABLE: stack.resources.rateLimitsTable!,
    OPT_OUTS_TABLE: stack.resources.optOutsTable!,
    COMPOSE_QUEUE_URL: stack.resources.composeQueueUrl!,
    ROUTER_VERSION: 'bench',
    POWERTOOLS_SERVICE_NAME: 'router',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_NAMESPACE: 'AiMultiComms',
    NODE_NO_WARNINGS: '1',
    BENCH_REQUESTS: String(requests),
    BENCH_API_KEY: stack.demoApiKeys.companyA,
  };
  const loader = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const run = async (main: string) => {
    const child = spawn(process.execPath, ['--import', loader, join(__dirname, main)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const line = stdout.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
    if (code !== 0 || !line) throw new Error(`${main} failed (${code}): ${stderr.slice(-2000)}`);
    return JSON.parse(line.slice('BENCH_RESULT '.length)) as ContainerFigures;
  };
  // Router and floor in turns, twice each, so that a noisy minute on the shared machine weighs on
  // both; each figure is the better of its two runs.
  const routerRuns: ContainerFigures[] = [];
  const floorRuns: ContainerFigures[] = [];
  for (let round = 0; round < 2; round += 1) {
    routerRuns.push(await run('router-container-main.ts'));
    floorRuns.push(await run('router-floor-main.ts'));
  }
  const best = (runs: ContainerFigures[]) => runs.reduce((a, b) => (b.per_second > a.per_second ? b : a));
  const figures = best(routerRuns);
  const floor = best(floorRuns);
  const share = figures.per_second / floor.per_second;
  report.row('router handler invoked directly (one container, no serverless-offline): requests/s', figures.per_second.toFixed(1));
  report.row('router handler invoked directly: p50 / p99', `${figures.p50_ms.toFixed(1)} / ${figures.p99_ms.toFixed(1)} ms`);
  report.row(
    'router floor (its AWS calls issued directly with the SDK, same order): requests/s, p50 / p99',
    `${floor.per_second.toFixed(1)}, ${floor.p50_ms.toFixed(1)} / ${floor.p99_ms.toFixed(1)} ms`,
  );
  report.row('router throughput as a share of its floor', `${(share * 100).toFixed(1)} %`);
  report.row(
    'router sequential round trips per request: p50 (max: the project item read once per cache period)',
    `${figures.round_trips_p50} (${figures.round_trips_max}); floor ${floor.round_trips_p50}`,
  );
  report.row('peak RSS: a router container', `${figures.peak_rss_mib!.toFixed(0)} MiB`);
  report.record('router_floor', { ...floor, share_of_floor: Number(share.toFixed(3)) });
  report.record('router_container', figures);
};
