import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Powertools' own JSON layout, except for errors. Its default `formatError` copies every
 * enumerable property of an error into the line, and provider SDK errors carry the whole request:
 * a Twilio network error (axios) holds `config.data`, the form with the recipient's number and the
 * message text. Here an error is logged as what identifies it and nothing else: name, message,
 * code, HTTP status, where it was thrown, and its cause in the same shape. Our own bugs (an error
 * with neither code nor status) keep their stack, which holds file names and lines, not data.
 */
const MAX_MESSAGE_LENGTH = 500;
const MAX_CAUSE_DEPTH = 3;

const httpStatusOf = (error: Record<string, unknown>): number | undefined => {
  const candidates = [
    error.status,
    error.statusCode,
    (error.$metadata as { httpStatusCode?: unknown } | undefined)?.httpStatusCode,
    (error.response as { status?: unknown } | undefined)?.status,
  ];
  return candidates.find((value): value is number => typeof value === 'number');
};

const codeOf = (error: Record<string, unknown>): string | number | undefined => {
  const code = error.code;
  return typeof code === 'string' || typeof code === 'number' ? code : undefined;
};

export class SafeLogFormatter extends LogFormatter {
  public override formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_arn: attributes.lambdaContext?.invokedFunctionArn,
        function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
        function_name: attributes.lambdaContext?.functionName,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additionalLogAttributes);
  }

  public override formatError(error: Error): LogAttributes {
    return describeError(error, this.getCodeLocation(error.stack), 0);
  }
}

/** An error as a log line may show it (see SafeLogFormatter). Exported for places that build log objects themselves. */
export const describeError = (error: unknown, location?: string, depth = 0): LogAttributes => {
  if (!(error instanceof Error)) return { name: typeof error, message: '(not an Error)' };
  const fields = error as unknown as Record<string, unknown>;
  const described: LogAttributes = { name: error.name, message: String(error.message ?? '').slice(0, MAX_MESSAGE_LENGTH) };
  const code = codeOf(fields);
  if (code !== undefined) described.code = code;
  const status = httpStatusOf(fields);
  if (status !== undefined) described.status = status;
  if (location) described.location = location;
  if (code === undefined && status === undefined && typeof error.stack === 'string') described.stack = error.stack.split('\n').slice(0, 12);
  if (error.cause !== undefined && depth < MAX_CAUSE_DEPTH) described.cause = describeError(error.cause, undefined, depth + 1);
  return described;
};
