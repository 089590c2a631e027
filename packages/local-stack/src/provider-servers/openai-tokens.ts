import { encode as encodeO200k } from 'gpt-tokenizer/encoding/o200k_base';

/** cl100k_base only when an older model asks for it (its tables take about 20 MB). */
let cl100k: ((text: string) => number[]) | undefined;
const encodeCl100k = (text: string): number[] => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  cl100k ??= (require('gpt-tokenizer/encoding/cl100k_base') as { encode: (text: string) => number[] }).encode;
  return cl100k(text);
};

/**
 * The twin's `usage`, counted as OpenAI counts it rather than guessed from characters:
 * - tokens by the model's own encoding (gpt-tokenizer, a port of OpenAI's tiktoken):
 *   `o200k_base` for the gpt-4o, gpt-4.1, gpt-5 and o-series models, `cl100k_base` for gpt-4 and
 *   gpt-3.5-turbo (tiktoken's model table);
 * - the prompt as the model reads it, in this order: the instructions and the Structured Outputs
 *   schema (the system turn), the conversation's items, then the input; each message costs 3
 *   tokens of framing and the reply is primed with 3 more (OpenAI's cookbook, "How to count
 *   tokens with tiktoken");
 * - cached input tokens as Prompt Caching reports them (platform.openai.com/docs/guides/prompt-caching):
 *   a prompt of at least 1,024 tokens whose prefix matches one the same organisation sent in the
 *   last minutes reads that prefix from the cache, counted in steps of 128 tokens from 1,024;
 *   requests are routed by a hash of the prompt's first 256 tokens, so only prompts sharing
 *   those can hit.
 */
export interface PromptParts {
  model: string;
  instructions?: string;
  /** The Structured Outputs format (its name and schema), which the model is given with the instructions. */
  schema?: { name?: string; schema?: unknown };
  /** Earlier items of the conversation, then this request's input, as messages. */
  messages: { role: string; text: string }[];
}

const MESSAGE_FRAMING_TOKENS = 3;
const REPLY_PRIMING_TOKENS = 3;
const CACHE_MINIMUM_TOKENS = 1024;
const CACHE_STEP_TOKENS = 128;
const CACHE_ROUTING_TOKENS = 256;
/** An unused prefix leaves the cache after 5 to 10 minutes of inactivity. */
const CACHE_TTL_MS = 10 * 60_000;
/** Prompts remembered per routing prefix (the most recent). */
const CACHE_ENTRIES_PER_PREFIX = 16;

const usesCl100k = (model: string) => /^gpt-(3\.5-turbo|4)(-|$)/.test(model);
export const encodingOf = (model: string): 'cl100k_base' | 'o200k_base' => (usesCl100k(model) ? 'cl100k_base' : 'o200k_base');
export const countTokens = (model: string, text: string): number => (usesCl100k(model) ? encodeCl100k(text) : encodeO200k(text)).length;

/** The prompt's tokens in order; a message's framing is stood for by markers no text encodes to (-1, its role's tokens). */
export const promptTokens = (parts: PromptParts): number[] => {
  const encode = usesCl100k(parts.model) ? encodeCl100k : encodeO200k;
  const tokens: number[] = [];
  const message = (role: string, text: string) => {
    tokens.push(-1, ...encode(role), -2);
    for (const token of encode(text)) tokens.push(token);
  };
  const system = [
    parts.instructions ?? '',
    parts.schema ? `# Response Formats\n## ${parts.schema.name ?? 'response'}\n${JSON.stringify(parts.schema.schema ?? {})}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  if (system) message('system', system);
  for (const item of parts.messages) message(item.role, item.text);
  return tokens;
};

/** Input tokens of a prompt: its text's tokens, the messages' framing and the reply's priming. */
export const inputTokensOf = (tokens: number[]): number => {
  let messages = 0;
  let text = 0;
  for (const token of tokens) {
    if (token === -1) messages += 1;
    else if (token >= 0) text += 1;
  }
  // The role's tokens are in `text`; each message adds its framing, the reply its priming.
  return text + messages * MESSAGE_FRAMING_TOKENS + REPLY_PRIMING_TOKENS;
};

interface CachedPrompt {
  tokens: number[];
  atMs: number;
}

/** How much of a prefix of `tokens` the cache holds: none below 1,024, then in steps of 128. */
const cacheable = (tokens: number) =>
  tokens < CACHE_MINIMUM_TOKENS
    ? 0
    : CACHE_MINIMUM_TOKENS + Math.floor((tokens - CACHE_MINIMUM_TOKENS) / CACHE_STEP_TOKENS) * CACHE_STEP_TOKENS;

/** One organisation's (API key's) prompt cache. */
export const createPromptCache = (now: () => number = Date.now) => {
  const byRoute = new Map<string, CachedPrompt[]>();
  const routeOf = (tokens: number[]) => tokens.slice(0, CACHE_ROUTING_TOKENS).join(',');
  const commonPrefix = (a: number[], b: number[]) => {
    const length = Math.min(a.length, b.length);
    let i = 0;
    while (i < length && a[i] === b[i]) i += 1;
    return i;
  };
  return {
    /**
     * The tokens of this prompt read from the cache (0 below 1,024 or without a matching prefix)
     * and written to it (its cacheable length beyond what was read); then remembers it.
     */
    read(tokens: number[]): { cached: number; written: number } {
      const inputTokens = inputTokensOf(tokens);
      if (inputTokens < CACHE_MINIMUM_TOKENS) return { cached: 0, written: 0 };
      const route = routeOf(tokens);
      const fresh = (byRoute.get(route) ?? []).filter((entry) => now() - entry.atMs < CACHE_TTL_MS);
      let longest = 0;
      for (const entry of fresh) longest = Math.max(longest, commonPrefix(entry.tokens, tokens));
      fresh.push({ tokens, atMs: now() });
      byRoute.set(route, fresh.slice(-CACHE_ENTRIES_PER_PREFIX));
      // The matched prefix in billed tokens (markers count as their framing), in 128-token steps from 1,024.
      const matched = longest === tokens.length ? inputTokens : inputTokensOf(tokens.slice(0, longest)) - REPLY_PRIMING_TOKENS;
      const cached = cacheable(Math.min(matched, inputTokens));
      return { cached, written: cacheable(inputTokens) - cached };
    },
  };
};
