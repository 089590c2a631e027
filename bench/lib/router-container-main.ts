/**
 * One router "Lambda container" as its own process: the real handler (services/router/src/handler.ts),
 * invoked one request at a time as Lambda does, against the local stack's emulators. Prints its
 * latency figures and peak RSS as one JSON line. Started by router-container.ts with the
 * environment the router's serverless.yml declares (table names and queue URLs of the stack).
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { handler } from '../../services/router/src/handler';
import { peakRssMiB } from './memory';
import { countRoundTrips } from './round-trips';
import { percentile } from './report';
import { BENCH_COMPANY, requestBody } from './requests';

const requests = Number(process.env.BENCH_REQUESTS ?? 1000);
const apiKey = process.env.BENCH_API_KEY!;

const event = (): APIGatewayProxyEvent =>
  ({
    body: requestBody({ companyId: BENCH_COMPANY.company_id, projectId: BENCH_COMPANY.project_id }),
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    httpMethod: 'POST',
    path: '/initiate-conversation',
    isBase64Encoded: false,
    requestContext: { requestId: randomUUID() },
  }) as unknown as APIGatewayProxyEvent;

const context = { functionName: 'router-bench', awsRequestId: 'r', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

const main = async () => {
  const roundTrips = countRoundTrips();
  const perRequest: number[] = [];
  const latencies: number[] = [];
  const startedAt = performance.now();
  for (let i = 0; i < requests; i += 1) {
    const t0 = performance.now();
    const response = await handler(event(), context);
    latencies.push(performance.now() - t0);
    perRequest.push(roundTrips.take().roundTrips);
    if (response.statusCode !== 200) throw new Error(`router answered ${response.statusCode}: ${response.body}`);
  }
  const seconds = (performance.now() - startedAt) / 1000;
  process.stdout.write(
    `BENCH_RESULT ${JSON.stringify({ requests, per_second: requests / seconds, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99), round_trips_p50: percentile(perRequest, 50), round_trips_max: Math.max(...perRequest), peak_rss_mib: peakRssMiB(process.pid) })}\n`,
  );
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
