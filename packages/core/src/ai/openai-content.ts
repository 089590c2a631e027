import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { AppError } from '../errors/app-error';
import { CREDENTIALS_REJECTED } from '../processing/provider-failure';
import { OpenAiChannelConfig } from '../companies/types';
import { compileSchema } from '../validation/ajv';

/**
 * The AI (docs/processing.md "Compose"): an OpenAI Conversation is the persistent thread of a
 * request (`conv_…`, stored as `thread_id`), created once; each message is one Responses API call
 * (a turn) in that conversation. The SDK retries 429/5xx/timeouts itself (bounded by
 * `maxRetries` and `timeoutMs`, which keep well inside the compose step's deadline).
 */
export const AI_TRANSIENT = 'AI_TRANSIENT';
export const AI_PERMANENT = 'AI_PERMANENT';

/** One turn on a thread: the AI reads the thread so far plus `input`, and writes the reply. */
export interface AiTurn {
  apiKey: string;
  config: OpenAiChannelConfig;
  /** The OpenAI conversation the turn is taken on. */
  threadId: string;
  /** What the AI is told for this turn (company, project, reps, recipient, project_data, the channel). */
  input: Record<string, unknown>;
  /** Structured Outputs schema; without it the reply is plain text. */
  outputSchema?: { name: string; schema: Record<string, unknown> };
  metadata: Record<string, string>;
}

export interface AiResult {
  threadId: string;
  text: string;
  json?: Record<string, unknown>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

export interface AiClientOptions {
  maxRetries: number;
  timeoutMs: number;
}

/**
 * How long OpenAI asks us to wait: `retry-after-ms`, else `retry-after` (seconds or an HTTP
 * date), as the SDK itself reads them; else the `x-ratelimit-reset-requests` duration ("1s",
 * "6m0s", "120ms"); else a second.
 */
export const retryAfterMsOf = (headers: Headers | undefined, nowMs = Date.now()): number => {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const after = headers?.get('retry-after');
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  const reset = headers?.get('x-ratelimit-reset-requests');
  const parts = reset ? [...reset.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)] : [];
  if (parts.length > 0) return parts.reduce((total, [, value, unit]) => total + Number(value) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'], 0);
  return 1000;
};

export const AI_RATE_LIMITED = 'AI_RATE_LIMITED';

/**
 * OpenAI errors → our taxonomy: a rate limit (429, wait as long as OpenAI says), what a retry can
 * fix (5xx, network, timeout, an exhausted quota, which an operator must top up before a redrive)
 * or not (4xx).
 */
export const classifyOpenAiError = (error: unknown): AppError => {
  if (error instanceof AppError) return error;
  if (error instanceof APIConnectionTimeoutError || error instanceof APIConnectionError) {
    return new AppError('transient', AI_TRANSIENT, 'OpenAI could not be reached (network or timeout).', { cause: error });
  }
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    const code = error.code ? ` ${error.code}` : '';
    if (status === 429 && error.code !== 'insufficient_quota') {
      return new AppError('rate-limited', AI_RATE_LIMITED, `OpenAI answered ${status}${code}.`, { cause: error, retryAfterSeconds: retryAfterMsOf(error.headers as Headers | undefined) / 1000 });
    }
    // conversation_locked: another response on the thread is in flight. Our own design never
    // takes two turns at once, but an attempt that lost its lease may still be finishing one.
    if (status === 429 || status >= 500 || status === 0 || error.code === 'conversation_locked') {
      return new AppError('transient', AI_TRANSIENT, `OpenAI answered ${status}${code}.`, { cause: error });
    }
    if (status === 401) return new AppError('permanent', CREDENTIALS_REJECTED, `OpenAI refused the API key: ${status}${code}.`, { cause: error });
    return new AppError('permanent', AI_PERMANENT, `OpenAI refused the request: ${status}${code}.`, { cause: error });
  }
  return new AppError('transient', AI_TRANSIENT, 'OpenAI call failed unexpectedly.', { cause: error });
};

const validators = new Map<string, ReturnType<typeof compileSchema>>();
const validatorFor = (schema: Record<string, unknown>) => {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) validators.set(key, (validate = compileSchema(schema)));
  return validate;
};

const clientFor = (apiKey: string, options: AiClientOptions) =>
  // baseURL: the SDK reads OPENAI_BASE_URL itself (set only by the local stack).
  new OpenAI({ apiKey, maxRetries: options.maxRetries, timeout: options.timeoutMs });

/** A new OpenAI conversation: the thread every turn of a request (every channel, every reply) is taken on. */
export const createAiThread = async (apiKey: string, metadata: Record<string, string>, options: AiClientOptions): Promise<string> => {
  try {
    return (await clientFor(apiKey, options).conversations.create({ metadata })).id;
  } catch (error) {
    throw classifyOpenAiError(error);
  }
};

/**
 * One Responses API call on the thread, with a stored prompt or a model + instructions, and
 * Structured Outputs when the channel needs structured content. OpenAI appends the input and
 * the reply to the conversation; two turns on one conversation at once fail with
 * `conversation_locked`, so a caller takes a thread's turns one after another.
 */
export const generateTurn = async (turn: AiTurn, options: AiClientOptions): Promise<AiResult> => {
  try {
    const { config } = turn;
    const response = await clientFor(turn.apiKey, options).responses.create({
      conversation: turn.threadId,
      ...(config.prompt_id ? { prompt: { id: config.prompt_id, ...(config.prompt_version ? { version: config.prompt_version } : {}) } } : {}),
      ...(config.model ? { model: config.model } : {}),
      ...(config.instructions ? { instructions: config.instructions } : {}),
      ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
      ...(config.max_output_tokens !== undefined ? { max_output_tokens: config.max_output_tokens } : {}),
      input: [{ role: 'user', content: JSON.stringify(turn.input) }],
      ...(turn.outputSchema ? { text: { format: { type: 'json_schema', name: turn.outputSchema.name, schema: turn.outputSchema.schema, strict: true } } } : {}),
      metadata: turn.metadata,
    });
    const text = response.output_text ?? '';
    const usage = {
      prompt_tokens: response.usage?.input_tokens ?? 0,
      completion_tokens: response.usage?.output_tokens ?? 0,
      total_tokens: response.usage?.total_tokens ?? 0,
    };
    if (!turn.outputSchema) {
      if (text.trim() === '') throw new AppError('permanent', AI_PERMANENT, 'OpenAI replied with no text.');
      return { threadId: turn.threadId, text, usage };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AppError('permanent', AI_PERMANENT, 'OpenAI reply is not the expected JSON.');
    }
    const validate = validatorFor(turn.outputSchema.schema);
    if (!validate(json)) throw new AppError('permanent', AI_PERMANENT, 'OpenAI reply does not match the output schema.');
    return { threadId: turn.threadId, text, json: json as Record<string, unknown>, usage };
  } catch (error) {
    throw classifyOpenAiError(error);
  }
};
