import type { ClientEvents } from '../client-events/client-events-queue';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CompanyRepository } from '../companies/company-repository';
import type { Governor } from '../governor/governor';
import type { DeliveryRepository } from '../messages/delivery-repository';
import type { OptOutStore } from '../opt-outs/opt-out-store';
import type { ProcessingMetrics } from '../queue-work/queue-record';
import type { SecretReader } from '../secrets/secret-reader';
import type { Clock } from '../util/clock';
import type { ChannelAdapter } from './channel-adapter';

/** A sender's configuration: its queue's settings and its own. */
export interface ProcessingConfig {
  /** The queue's real visibility timeout (read from SQS): the lease and each heartbeat extension. */
  visibilityTimeoutSeconds: number;
  heartbeatIntervalMs: number;
  /** Backoff before a retried message is offered again: base × 2^(receiveCount−1), capped. */
  retryBackoffBaseSeconds: number;
  retryBackoffMaxSeconds: number;
  /** Attempts at the final update before the CRITICAL line. */
  finalUpdateAttempts: number;
  processorVersion: string;
  /** Named in the CRITICAL line's repair object. */
  conversationsTable: string;
  messagesTable: string;
  /** The queue's RedrivePolicy maxReceiveCount (read from SQS); undefined when it has no DLQ. */
  maxReceiveCount?: number;
  /** How long one record may take after its claim before the attempt gives up (well inside the function's timeout). */
  recordDeadlineMs: number;
}

export interface ProcessingDeps<Credentials extends Record<string, string>> {
  channel: ChannelAdapter<Credentials>;
  /** Each message's delivery state, and its conversation's record of it. */
  deliveries: DeliveryRepository;
  /** The company-data table: the project's own configuration, re-read before sending. */
  companies: Pick<CompanyRepository, 'get'>;
  /** The person's opt-outs, checked right before each send. */
  optOuts: Pick<OptOutStore, 'isOptedOut' | 'record'>;
  secrets: SecretReader;
  /** Paces sends to each sender's rate across every container (docs/throughput.md). */
  governor: Governor;
  /** SQS ChangeMessageVisibility on the record's queue. */
  extendVisibility: (receiptHandle: string, seconds: number) => Promise<void>;
  clock: Clock;
  /** A record's lines go through its own child of this logger (see beginRun). */
  logger: Pick<Logger, 'createChild'>;
  metrics: ProcessingMetrics;
  config: ProcessingConfig;
  sleep?: (ms: number) => Promise<void>;
  /** The project's signed events (message.sent, reply.sent, agent_message.sent), when the deployment has them. */
  events?: ClientEvents;
}
