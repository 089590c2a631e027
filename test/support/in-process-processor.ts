import {
  cachedSecretReader,
  ChannelAdapter,
  ConversationRepository,
  createLogger,
  createSecretsManagerClient,
  generateContent,
  ProcessingDeps,
} from '@ai-multi-comms/core';
import { StackState } from './stack';

type Logger = ReturnType<typeof createLogger>;

/**
 * A channel's processing dependencies for tests that inject a fault into one of them: the real
 * Secrets Manager server, the real OpenAI SDK against the provider server, the given
 * conversations repository (often the real one, wrapped), and a lease of `leaseSeconds`.
 */
export const inProcessDeps = <Credentials extends Record<string, string>>(
  state: StackState,
  channel: ChannelAdapter<Credentials>,
  conversations: ConversationRepository,
  options: { leaseSeconds?: number; logger?: Logger } = {},
): ProcessingDeps<Credentials> => ({
  channel,
  conversations,
  secrets: cachedSecretReader(createSecretsManagerClient(), 0),
  ai: (request) => generateContent(request, { maxRetries: 0, timeoutMs: 10_000 }),
  extendVisibility: async () => undefined,
  clock: { now: () => new Date() },
  logger: options.logger ?? createLogger(`${channel.channel}-processor`),
  metrics: { count: () => undefined },
  config: {
    visibilityTimeoutSeconds: options.leaseSeconds ?? 905,
    heartbeatIntervalMs: 600_000,
    retryBackoffBaseSeconds: 1,
    retryBackoffMaxSeconds: 10,
    finalUpdateAttempts: 3,
    processorVersion: 'test',
    conversationsTable: state.resources.conversationsTable!,
  },
  sleep: async () => undefined,
});
