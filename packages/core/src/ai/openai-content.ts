import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { AppError } from '../errors/app-error';
import { CREDENTIALS_REJECTED } from '../processing/provider-failure';
import { OpenAiChannelConfig } from '../companies/types';
import { compileSchema } from '../validation/ajv';

/**
 * The AI step (processing.md "AI"): an OpenAI Conversation is the persistent thread (`conv_…`,
 * stored as `thread_id`); each message is one Responses API call in that conversation, with a
 * stored prompt or a model + instructions, and Structured Outputs (a JSON schema) when the
 * channel needs structured content. The SDK retries 429/5xx/timeouts itself (bounded by
 * `maxRetries` and `timeoutMs`, which keep well inside the heartbeat and the Lambda timeout).
 */
export const AI_TRANSIENT = 'AI_TRANSIENT';
export const AI_PERMANENT = 'AI_PERMANENT';

export interface AiRequest {
  apiKey: string;
  config: OpenAiChannelConfig;
  /** Existing thread to continue (a retry reuses the one an earlier attempt created). */
  threadId: string | null;
  /** Called as soon as a new thread exists, so that a retry can reuse it. */
  onThread: (threadId: string) => Promise<void>;
  /** What the AI is told about this conversation (company, project, reps, recipient, project_data). */
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

/** OpenAI errors → our taxonomy: what a retry can fix (429, 5xx, network, timeout) or not (4xx). */
export const classifyOpenAiError = (error: unknown): AppError => {
  if (error instanceof AppError) return error;
  if (error instanceof APIConnectionTimeoutError || error instanceof APIConnectionError) {
    return new AppError('transient', AI_TRANSIENT, 'OpenAI could not be reached (network or timeout).', { cause: error });
  }
  if (error instanceof APIError) {
    const status = error.status ?? 0;
    const code = error.code ? ` ${error.code}` : '';
    if (status === 429 || status >= 500 || status === 0) {
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

export const generateContent = async (request: AiRequest, options: AiClientOptions): Promise<AiResult> => {
  // baseURL: the SDK reads OPENAI_BASE_URL itself (set only by the local stack).
  const client = new OpenAI({ apiKey: request.apiKey, maxRetries: options.maxRetries, timeout: options.timeoutMs });
  try {
    let threadId = request.threadId;
    if (!threadId) {
      const conversation = await client.conversations.create({ metadata: request.metadata });
      threadId = conversation.id;
      await request.onThread(threadId);
    }
    const { config } = request;
    const response = await client.responses.create({
      conversation: threadId,
      ...(config.prompt_id
        ? { prompt: { id: config.prompt_id, ...(config.prompt_version ? { version: config.prompt_version } : {}) } }
        : {}),
      ...(config.model ? { model: config.model } : {}),
      ...(config.instructions ? { instructions: config.instructions } : {}),
      ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
      ...(config.max_output_tokens !== undefined ? { max_output_tokens: config.max_output_tokens } : {}),
      input: [{ role: 'user', content: JSON.stringify(request.input) }],
      ...(request.outputSchema
        ? { text: { format: { type: 'json_schema', name: request.outputSchema.name, schema: request.outputSchema.schema, strict: true } } }
        : {}),
      metadata: request.metadata,
    });
    const text = response.output_text ?? '';
    const usage = {
      prompt_tokens: response.usage?.input_tokens ?? 0,
      completion_tokens: response.usage?.output_tokens ?? 0,
      total_tokens: response.usage?.total_tokens ?? 0,
    };
    if (!request.outputSchema) {
      if (text.trim() === '') throw new AppError('permanent', AI_PERMANENT, 'OpenAI replied with no text.');
      return { threadId, text, usage };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AppError('permanent', AI_PERMANENT, 'OpenAI reply is not the expected JSON.');
    }
    const validate = validatorFor(request.outputSchema.schema);
    if (!validate(json)) throw new AppError('permanent', AI_PERMANENT, 'OpenAI reply does not match the output schema.');
    return { threadId, text, json: json as Record<string, unknown>, usage };
  } catch (error) {
    throw classifyOpenAiError(error);
  }
};
