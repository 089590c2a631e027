import type { Logger } from '@aws-lambda-powertools/logger';
import type { AiResult, AiTurn } from '../ai/openai-content';
import type { CompanyRepository } from '../companies/company-repository';
import type { ComposedMessage } from '../context-object/types';
import type { Governor } from '../governor/governor';
import type { ProcessingMetrics } from '../queue-work/queue-record';
import type { SecretReader } from '../secrets/secret-reader';
import type { Clock } from '../util/clock';
import type { ThreadRepository } from './thread-repository';

/** The compose step's configuration: its queue's settings and its own. */
export interface ComposeConfig {
  visibilityTimeoutSeconds: number;
  /** How often the message's visibility and the thread's lease are extended while composing. */
  heartbeatIntervalMs: number;
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  maxReceiveCount?: number;
  recordDeadlineMs: number;
}

/** What the compose step works with: each a plain client, so tests build it with emulator clients or fakes. */
export interface ComposeDeps {
  threads: ThreadRepository;
  companies: Pick<CompanyRepository, 'get'>;
  secrets: SecretReader;
  ai: {
    createThread(apiKey: string, metadata: Record<string, string>): Promise<string>;
    turn(turn: AiTurn): Promise<AiResult>;
  };
  publish(message: ComposedMessage): Promise<void>;
  /** Paces AI calls to each OpenAI key's rate across every container (docs/throughput.md). */
  governor: Governor;
  /** SQS ChangeMessageVisibility on the record's queue (the heartbeat). */
  extendVisibility: (receiptHandle: string, seconds: number) => Promise<void>;
  clock: Clock;
  logger: Pick<Logger, 'createChild'>;
  metrics: ProcessingMetrics;
  config: ComposeConfig;
}

/** The error code of a request the compose step refuses for good (the project is gone or stopped, the keys disagree). */
export const COMPOSE_REFUSED = 'COMPOSE_REFUSED';
