import type { Logger } from '@aws-lambda-powertools/logger';
import type { Clock } from '../util/clock';
import { decideOutcome, OutcomeCause, OutcomeConfig, RecordOutcome } from './queue-outcomes';
import type { ProcessingMetrics, QueueRecord } from './queue-record';

/** Ends a record: the queue outcome and its metrics come from one table (queue-outcomes.ts). */
/** `retryInMs`: when the message may go again (busy, rate-limited); `slotAtMs`: the governor's slot booked for it. */
export type Conclude = (cause: OutcomeCause, reason: string, retryInMs?: number, slotAtMs?: number) => RecordOutcome;

/** One queue record on its way through a worker, before and after its claim. */
export interface RecordRun {
  record: QueueRecord;
  /** The record's own child logger: the records of a batch run in parallel in one container. */
  logger: Logger;
  startedAt: Date;
  /** On the queue's last receive a "retry" means the DLQ: recorded where operators look. */
  lastReceive: boolean;
  conclude: Conclude;
}

export interface RecordRunDeps {
  logger: Pick<Logger, 'createChild'>;
  metrics: ProcessingMetrics;
  clock: Clock;
  config: OutcomeConfig;
}

/**
 * A record's logger and its one way out. Every worker ends every record through `conclude`, so
 * the queue outcome, its metrics and the "retries exhausted" line come from one table.
 */
export const beginRecordRun = (record: QueueRecord, deps: RecordRunDeps): RecordRun => {
  // The records of a batch run in parallel in one container, so each gets a child logger of its
  // own: appendKeys on the shared logger would put one record's keys on another's lines.
  const logger = deps.logger.createChild();
  const { config, metrics } = deps;
  const conclude: Conclude = (cause, reason, retryInMs, slotAtMs) => {
    const decided = decideOutcome(cause, { reason, receiveCount: record.receiveCount, retryInMs, slotAtMs }, config);
    for (const name of decided.metrics) metrics.count(name);
    if (decided.retriesExhausted)
      logger.error('Retries exhausted: the message goes to the dead-letter queue', {
        message_id: record.messageId,
        receive_count: record.receiveCount,
        reason,
      });
    return decided.outcome;
  };
  return {
    record,
    logger,
    startedAt: deps.clock.now(),
    lastReceive: config.maxReceiveCount !== undefined && record.receiveCount >= config.maxReceiveCount,
    conclude,
  };
};
