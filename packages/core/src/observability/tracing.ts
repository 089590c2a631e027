import type middy from '@middy/core';
import type { Tracer } from '@aws-lambda-powertools/tracer';

/** X-Ray for one function: a middy middleware for the handler's segment, and a wrapper for AWS SDK clients. */
export interface Tracing {
  /** The handler's segment (Powertools captureLambdaHandler); does nothing when tracing is off. */
  middleware(): middy.MiddlewareObj;
  /** An AWS SDK v3 client with X-Ray subsegments; the client itself when tracing is off. */
  instrument<T>(client: T): T;
}

/** POWERTOOLS_TRACE_ENABLED, as Powertools reads it: on unless set to false/0. */
export const tracingEnabled = (env: NodeJS.ProcessEnv = process.env): boolean =>
  !['false', '0'].includes((env.POWERTOOLS_TRACE_ENABLED ?? 'true').toLowerCase());

// middy refuses a middleware without any of before/after/onError.
const NO_TRACING: Tracing = { middleware: () => ({ before: () => undefined }), instrument: (client) => client };

/**
 * Powertools Tracer, loaded only when tracing is on. Importing it is not free: the X-Ray SDK it
 * wraps installs async hooks (cls-hooked) for every promise of the process at import time, even
 * when Tracer then finds tracing disabled. `pnpm bench --cpu-prof` showed those hooks
 * (`init`/`destroy`/`registerDestroyHook`) among the router's heaviest frames with tracing off.
 * So the module is required here, on first use, and never when tracing is off; esbuild still
 * bundles it for AWS, where serverless.yml turns tracing on.
 */
export const createTracing = (serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing => {
  if (!tracingEnabled(env)) return NO_TRACING;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, see above
  const { Tracer: TracerClass } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
  const { captureLambdaHandler } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, see above
    require('@aws-lambda-powertools/tracer/middleware') as typeof import('@aws-lambda-powertools/tracer/middleware');
  const tracer: Tracer = new TracerClass({ serviceName });
  return {
    middleware: () => captureLambdaHandler(tracer),
    instrument: (client) => tracer.captureAWSv3Client(client),
  };
};
