import type { Heartbeat } from '../heartbeat/heartbeat';
import type { ContextObject } from '../context-object/types';
import type { RateLimit } from '../governor/governor';
import type { RecordRun } from '../queue-work/record-run';
import type { Channel } from '../request/types';
import type { ComposeDeps } from './compose-deps';
import type { ThreadItem } from './types';

/** One request read from its queue message: what every later step needs to know of it. */
export interface ComposeRequest {
  contextObject: ContextObject;
  channels: Channel[];
  /** The threads table's key: `company#project#request`. */
  threadKey: string;
  /** The one OpenAI key of the thread; undefined when the channels name different ones (refused at authorise). */
  keyReference?: string;
  /** That key's rate, when the governor paces it. */
  aiLimit?: RateLimit;
  /** OpenAI metadata on the thread and each turn. */
  metadata: Record<string, string>;
}

/** The step running now: it decides the failure class (a missing secret is retried) and names the deadline's cause. */
export type ComposeStep = 'authorise' | 'secrets' | 'ai' | 'publish';

/** A claimed request: this attempt holds the thread item's lease until it concludes. */
export interface ComposeAttempt extends RecordRun {
  deps: ComposeDeps;
  request: ComposeRequest;
  leaseToken: string;
  /** The thread item as claimed: what earlier attempts stored (the thread id, written parts). */
  item: ThreadItem;
  heartbeat: Heartbeat;
  step: ComposeStep;
}
