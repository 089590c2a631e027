import autocannon from 'autocannon';
import type { LocalStack } from '@ai-multi-comms/local-stack';
import { Report } from './report';
import { BENCH_COMPANY, requestBody } from './requests';

interface LoadResult {
  requests_per_second: number;
  p50_ms: number;
  p99_ms: number;
  total: number;
  non_2xx_or_errors: number;
}

const load = async (
  stack: LocalStack,
  path: 'health' | 'initiate-conversation',
  connections: number,
  seconds: number,
): Promise<LoadResult> => {
  const result = await autocannon({
    url: `${stack.apiBaseUrl}/${path}`,
    connections,
    duration: seconds,
    requests: [
      path === 'health'
        ? { method: 'GET', headers: { 'x-api-key': stack.demoApiKeys.companyA } }
        : {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': stack.demoApiKeys.companyA },
            setupRequest: (request) => ({
              ...request,
              body: requestBody({ companyId: BENCH_COMPANY.company_id, projectId: BENCH_COMPANY.project_id }),
            }),
          },
    ],
  });
  return {
    requests_per_second: result.requests.average,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    total: result.requests.total,
    non_2xx_or_errors: result.non2xx + result.errors + result.timeouts,
  };
};

/**
 * The router over HTTP beside its ceiling: GET /health, a handler with no I/O behind the same API
 * key check on the same serverless-offline. The ratio router/ceiling is the figure that survives
 * a noisy machine. Run with the queue pollers paused, so that the router has the machine to itself
 * as it has its own Lambda capacity in AWS.
 */
export const routerOverHttp = async (stack: LocalStack, report: Report, seconds: number) => {
  for (const connections of [1, 10]) {
    // Warm-up: the first invocation of each function loads its module (a cold start).
    await load(stack, 'health', connections, 2);
    await load(stack, 'initiate-conversation', connections, 3);
    const ceiling = await load(stack, 'health', connections, seconds);
    const router = await load(stack, 'initiate-conversation', connections, seconds);
    const ratio = router.requests_per_second / ceiling.requests_per_second;
    const label = `${connections} connection${connections > 1 ? 's' : ''}`;
    report.row(
      `router over HTTP, ${label}: requests/s (ceiling: GET /health)`,
      `${router.requests_per_second.toFixed(1)} (${ceiling.requests_per_second.toFixed(1)})`,
    );
    report.row(`router over HTTP, ${label}: share of the ceiling`, `${(ratio * 100).toFixed(1)} %`);
    report.row(
      `router over HTTP, ${label}: p50 / p99 (ceiling)`,
      `${router.p50_ms} / ${router.p99_ms} ms (${ceiling.p50_ms} / ${ceiling.p99_ms} ms)`,
    );
    report.row(`router over HTTP, ${label}: non-2xx / errors`, `${router.non_2xx_or_errors} (ceiling ${ceiling.non_2xx_or_errors})`);
    report.record(`router_over_http.${connections}`, { router, ceiling, share_of_ceiling: ratio });
  }
};
