import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AppError, MAX_BODY_BYTES, requestIdForErrors, toHttpError } from '@ai-multi-comms/core';
import { logger, metrics } from './dependencies';

/** HTTP in and out, shared by the API's handlers. */
export const JSON_HEADERS = { 'Content-Type': 'application/json' };

export const header = (event: APIGatewayProxyEvent, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && typeof value === 'string') return value;
  }
  return undefined;
};

/**
 * The request id to echo in an error body: parsed leniently from the raw body (or the query),
 * never trusted. A body over the size limit is not parsed at all (that is what the limit is for).
 */
const requestIdOf = (event: APIGatewayProxyEvent): string => {
  const fromQuery = event.queryStringParameters?.request_id;
  if (typeof fromQuery === 'string') return requestIdForErrors({ request_data: { request_id: fromQuery } });
  if (event.isBase64Encoded || Buffer.byteLength(event.body ?? '', 'utf8') > MAX_BODY_BYTES) return 'unknown';
  try {
    return requestIdForErrors(JSON.parse(event.body ?? ''));
  } catch {
    return 'unknown';
  }
};

/** The one place where API failures become HTTP responses; 5xx details go to the log, never the body. */
export const errorResponse = (error: unknown, event: APIGatewayProxyEvent): APIGatewayProxyResult => {
  const response = toHttpError(error, requestIdOf(event));
  const refused = metrics.singleMetric();
  refused.addDimension('error_code', response.body.error_code);
  refused.addMetric('RequestsRefused', MetricUnit.Count, 1);
  const context = { request_id: response.body.request_id, error_code: response.body.error_code, status_code: response.statusCode };
  if (response.statusCode >= 500) {
    logger.error('Request failed', { ...context, error: error as Error, cause: (error as AppError)?.cause as Error });
  } else {
    logger.info('Request refused', context);
  }
  return { statusCode: response.statusCode, headers: { ...JSON_HEADERS, ...response.headers }, body: JSON.stringify(response.body) };
};
