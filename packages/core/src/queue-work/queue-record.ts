/** One SQS record as every queue worker (compose, reply, the senders) needs it. */
export interface QueueRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  receiveCount: number;
  /** The governor's slot booked for this message by the receive that put it back (its first receive only). */
  bookedSlotMs?: number;
}

/** What a worker counts (EMF metrics in Lambda; a no-op or a list in tests). */
export interface ProcessingMetrics {
  count(name: string, value?: number): void;
}
