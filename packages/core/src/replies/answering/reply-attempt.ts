import type { CompanyProject } from '../../companies/types';
import type { ConversationItem } from '../../conversations/types';
import type { RecordRun } from '../../queue-work/record-run';
import type { InboundMessage } from '../types';
import type { ReplyDeps } from './reply-deps';

/** Where the reply step is: named in its failure line. */
export type ReplyStep = 'read' | 'store' | 'record' | 'ai' | 'publish';

/** One reply task on its way through the step; `inbound` once read (a permanent failure is recorded on it). */
export interface ReplyRun extends RecordRun {
  deps: ReplyDeps;
  step: ReplyStep;
  inbound?: InboundMessage;
}

/** A linked, unfinished reply with its conversation. */
export interface ReplyAttempt extends ReplyRun {
  inbound: InboundMessage & { conversation: NonNullable<InboundMessage['conversation']> };
  conversation: ConversationItem;
}

/** A reply the AI may answer: its project is active. */
export interface AnswerableReply extends ReplyAttempt {
  project: CompanyProject;
}
