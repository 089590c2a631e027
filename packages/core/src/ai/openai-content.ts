import { textOf } from '../util/text-of';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { Response as OpenAiResponse } from 'openai/resources/responses/responses';
import { AppError } from '../errors/app-error';
import { CREDENTIALS_REJECTED } from '../queue-work/credentials-rejected';
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
/** The model stopped before the end of its reply (`status: "incomplete"`), even with a larger output budget. */
export const AI_INCOMPLETE = 'AI_INCOMPLETE';
/** The model declined to write the reply (a `refusal` content part instead of text). */
export const AI_REFUSED = 'AI_REFUSED';

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

/** Which of OpenAI's per-minute limits a 429 is about. */
export type OpenAiRateLimit = 'requests' | 'tokens';

/** "1s", "6m0s", "120ms", "1h2m3.5s": how OpenAI writes a reset time, in ms. */
const durationMs = (value: string | null | undefined): number | undefined => {
  const parts = value ? [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)] : [];
  if (parts.length === 0) return undefined;
  return parts.reduce(
    (total, [, amount, unit]) => total + Number(amount) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'],
    0,
  );
};

/**
 * The limits a 429 says are exhausted: its error `type` ("requests", "tokens"; OpenAI names the
 * limit there), its sentence ("… on tokens per min (TPM) …"), else the headers' remaining counts
 * at 0. Requests when nothing tells.
 */
export const exhaustedLimitsOf = (error: { type?: string | null; message?: string; headers?: Headers | undefined }): OpenAiRateLimit[] => {
  const type = error.type ?? '';
  const message = error.message ?? '';
  const remaining = (name: OpenAiRateLimit) => error.headers?.get(`x-ratelimit-remaining-${name}`);
  const found: OpenAiRateLimit[] = [];
  if (/^requests/.test(type) || /requests per (min|day)|\(RP[MD]\)/i.test(message) || remaining('requests') === '0') found.push('requests');
  if (/^tokens/.test(type) || /tokens per (min|day)|\(TP[MD]\)/i.test(message) || remaining('tokens') === '0') found.push('tokens');
  return found.length > 0 ? found : ['requests'];
};

/**
 * How long OpenAI asks us to wait: `retry-after-ms`, else `retry-after` (seconds or an HTTP
 * date), as the SDK itself reads them. OpenAI may leave both out, notably of a tokens-per-minute
 * refusal; then the longest `x-ratelimit-reset-<limit>` of the exhausted limits ("1s", "6m0s",
 * "120ms": the time until that limit is back to its initial state, so never too early); else
 * either reset header; else a second.
 */
export const retryAfterMsOf = (headers: Headers | undefined, nowMs = Date.now(), exhausted: OpenAiRateLimit[] = ['requests']): number => {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const after = headers?.get('retry-after');
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  const resets = (names: OpenAiRateLimit[]) =>
    names.map((name) => durationMs(headers?.get(`x-ratelimit-reset-${name}`))).filter((value): value is number => value !== undefined);
  const relevant = resets(exhausted);
  if (relevant.length > 0) return Math.max(...relevant);
  const any = resets(['requests', 'tokens']);
  return any.length > 0 ? Math.max(...any) : 1000;
};

export const AI_RATE_LIMITED = 'AI_RATE_LIMITED';

/**
 * OpenAI errors → our taxonomy: a rate limit (429, wait as long as OpenAI says), what a retry can
 * fix (5xx, network, timeout, an exhausted quota, which an operator must top up before a redrive)
 * or not (4xx; and a request larger than the key's whole tokens-per-minute limit, which no wait
 * makes fit). This runs after the SDK's own retries: on a 429 it waits `retry-after(-ms)` if sent,
 * else its own backoff (0.5 s, 1 s, … up to 8 s, with jitter), which is shorter than a
 * tokens-per-minute reset; so the error that reaches us is read here for the real wait.
 */
export const classifyOpenAiError = (error: unknown): AppError => {
  if (error instanceof AppError) return error;
  if (error instanceof APIConnectionTimeoutError || error instanceof APIConnectionError) {
    return new AppError('transient', AI_TRANSIENT, 'OpenAI could not be reached (network or timeout).', { cause: error });
  }
  if (error instanceof APIError) {
    const status: number = (error.status as number | undefined) ?? 0;
    const code = error.code ? ` ${error.code}` : '';
    if (
      status === 429 &&
      /^Request too large/i.test(
        error.error && typeof error.error === 'object' ? textOf((error.error as { message?: unknown }).message) : '',
      )
    ) {
      return new AppError(
        'permanent',
        AI_PERMANENT,
        `OpenAI answered ${status}${code}: the request is larger than the key's tokens-per-minute limit.`,
        { cause: error },
      );
    }
    if (status === 429 && error.code !== 'insufficient_quota') {
      const headers = error.headers as Headers | undefined;
      const exhausted = exhaustedLimitsOf({ type: error.type, message: error.message, headers });
      return new AppError('rate-limited', AI_RATE_LIMITED, `OpenAI answered ${status}${code} (${exhausted.join(' and ')} per minute).`, {
        cause: error,
        retryAfterSeconds: retryAfterMsOf(headers, Date.now(), exhausted) / 1000,
      });
    }
    // conversation_locked: another response on the thread is in flight. Our own design never
    // takes two turns at once, but an attempt that lost its lease may still be finishing one.
    if (status === 429 || status >= 500 || status === 0 || error.code === 'conversation_locked') {
      return new AppError('transient', AI_TRANSIENT, `OpenAI answered ${status}${code}.`, { cause: error });
    }
    if (status === 401)
      return new AppError('permanent', CREDENTIALS_REJECTED, `OpenAI refused the API key: ${status}${code}.`, { cause: error });
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
 * A message a person at the company sent, added to the thread as an assistant turn that says a
 * person wrote it (Conversations API `items.create`, no model call), so that the AI's next turn
 * knows what was said and by whom.
 */
export const noteOnThread = async (
  apiKey: string,
  threadId: string,
  note: { agentName: string; channel: string; text: string },
  options: AiClientOptions,
): Promise<void> => {
  try {
    await clientFor(apiKey, options).conversations.items.create(threadId, {
      items: [
        {
          type: 'message',
          role: 'assistant',
          content: `[Written by ${note.agentName}, a person at the company, not by the AI; sent on ${note.channel}]\n${note.text}`,
        },
      ],
    });
  } catch (error) {
    throw classifyOpenAiError(error);
  }
};

/**
 * When a reply stops at its output budget, the one retry's budget: double the budget it had (or,
 * with none set, double what it wrote), at most gpt-4o-mini's own output maximum. Double, because
 * a reply cut short usually needs a little more room, not unbounded room; once, because each
 * attempt costs tokens and leaves its partial reply on the thread (OpenAI stores it), and a reply
 * that does not fit in twice the budget is a model running on (e.g. Structured Outputs emitting
 * whitespace), which more room does not cure.
 */
export const MAX_RETRY_OUTPUT_TOKENS = 16_384;
export const retryOutputBudget = (budget: number | undefined | null, written: number | undefined): number | undefined => {
  const base = budget ?? written;
  if (!base || base >= MAX_RETRY_OUTPUT_TOKENS) return undefined;
  return Math.min(MAX_RETRY_OUTPUT_TOKENS, base * 2);
};

/** A refusal content part in the output (the refusal's text is the model's and may echo the person: it is not kept). */
const refused = (response: OpenAiResponse) =>
  (response.output ?? []).some((item) => item.type === 'message' && (item.content ?? []).some((part) => part.type === 'refusal'));

/**
 * One Responses API call on the thread, with a stored prompt or a model + instructions, and
 * Structured Outputs when the channel needs structured content. OpenAI appends the input and
 * the reply to the conversation; two turns on one conversation at once fail with
 * `conversation_locked`, so a caller takes a thread's turns one after another.
 * A reply cut at `max_output_tokens` (`incomplete`) is taken once more with a larger budget
 * (`retryOutputBudget`), then fails for good as AI_INCOMPLETE; a refusal fails for good as
 * AI_REFUSED (a retry would ask the same of the same model).
 */
export const generateTurn = async (turn: AiTurn, options: AiClientOptions): Promise<AiResult> => {
  try {
    const { config } = turn;
    const client = clientFor(turn.apiKey, options);
    const create = (maxOutputTokens: number | undefined) =>
      client.responses.create({
        conversation: turn.threadId,
        ...(config.prompt_id
          ? { prompt: { id: config.prompt_id, ...(config.prompt_version ? { version: config.prompt_version } : {}) } }
          : {}),
        ...(config.model ? { model: config.model } : {}),
        ...(config.instructions ? { instructions: config.instructions } : {}),
        ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
        ...(maxOutputTokens !== undefined ? { max_output_tokens: maxOutputTokens } : {}),
        input: [{ role: 'user', content: JSON.stringify(turn.input) }],
        ...(turn.outputSchema
          ? { text: { format: { type: 'json_schema', name: turn.outputSchema.name, schema: turn.outputSchema.schema, strict: true } } }
          : {}),
        metadata: turn.metadata,
      }) as Promise<OpenAiResponse>;
    const cutAtBudget = (response: OpenAiResponse) =>
      response.status === 'incomplete' && response.incomplete_details?.reason === 'max_output_tokens';

    let response = await create(config.max_output_tokens);
    let retried = false;
    if (!refused(response) && cutAtBudget(response)) {
      const larger = retryOutputBudget(config.max_output_tokens, response.usage?.output_tokens);
      if (larger !== undefined) {
        response = await create(larger);
        retried = true;
      }
    }
    if (refused(response)) throw new AppError('permanent', AI_REFUSED, 'AI_REFUSED: the model declined to write this message (a refusal).');
    if (response.status === 'incomplete') {
      const reason = response.incomplete_details?.reason ?? 'unknown';
      throw new AppError(
        'permanent',
        AI_INCOMPLETE,
        reason === 'max_output_tokens'
          ? `AI_INCOMPLETE: the reply was cut at max_output_tokens (${response.max_output_tokens ?? "the model's maximum"})${retried ? ', also on one retry with a larger budget' : ''}.`
          : `AI_INCOMPLETE: the reply was cut short (${reason}).`,
      );
    }
    if (response.status === 'failed')
      throw new AppError('transient', AI_TRANSIENT, `OpenAI could not write the reply (${response.error?.code ?? 'failed'}).`);
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
