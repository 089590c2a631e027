import type { Logger } from '@aws-lambda-powertools/logger';
import type { ClientEvents } from '../../client-events/client-events-queue';
import type { AiResult, AiTurn } from '../../ai/openai-content';
import type { CompanyRepository } from '../../companies/company-repository';
import type { ComposedMessage } from '../../context-object/types';
import type { ConversationRepository } from '../../conversations/conversation-repository';
import type { Governor } from '../../governor/governor';
import type { OptOutStore } from '../../opt-outs/opt-out-store';
import type { OutcomeConfig } from '../../queue-work/queue-outcomes';
import type { ProcessingMetrics } from '../../queue-work/queue-record';
import type { Channel } from '../../request/types';
import type { SecretReader } from '../../secrets/secret-reader';
import type { Clock } from '../../util/clock';
import type { ConversationUpdates } from '../conversation-updates';
import type { InboundStore } from '../inbound-store';

/** Published for operators when the AI hands a conversation to a person (the hand-offs topic). */
export interface HandOffEvent {
  event: 'hand_off_to_human';
  company_id: string;
  project_id: string;
  request_id: string;
  conversation_id: string;
  channel: Channel;
  thread_id: string;
  inbound_id: string;
  reason: string;
  at: string;
}

/** What the reply step works with: each a plain client, so tests build it with emulator clients or fakes. */
export interface ReplyDeps {
  inbound: InboundStore;
  conversations: Pick<ConversationRepository, 'get'>;
  updates: ConversationUpdates;
  companies: Pick<CompanyRepository, 'get'>;
  optOuts: Pick<OptOutStore, 'isOptedOut' | 'record'>;
  secrets: SecretReader;
  ai: {
    turn(turn: AiTurn): Promise<AiResult>;
    /** An agent's message onto the thread, as a turn a person wrote (no model call). */
    note(apiKey: string, threadId: string, note: { agentName: string; channel: string; text: string }): Promise<void>;
  };
  /** The OpenAI key's rate, shared with the compose step: the answer's turn goes now and counts against it. */
  governor: Pick<Governor, 'takeNow' | 'refused'>;
  /** The answer to the fan-out topic, for the channel's sender (filtered to that channel). */
  publishAnswer(message: ComposedMessage): Promise<void>;
  publishHandOff(event: HandOffEvent): Promise<void>;
  /** The project's signed events (reply.received, conversation.handed_off, recipient.opted_out), when the deployment has them. */
  events?: ClientEvents;
  clock: Clock;
  logger: Pick<Logger, 'createChild'>;
  metrics: ProcessingMetrics;
  config: OutcomeConfig;
}

/** Automatic answers per conversation in a 24-hour window when the project states none: a person writing back and forth all day stays well inside it; an auto-responder loop or a burst does not. */
export const DEFAULT_ANSWERS_PER_DAY = 20;
export const ANSWER_BUDGET_WINDOW_MS = 24 * 3_600_000;
export const ANSWER_BUDGET_HAND_OFF_REASON = 'The conversation reached its automatic answers for the day; a person should take over.';
export const SENDER_UNVERIFIED_HAND_OFF_REASON = 'The e-mail failed SPF and DKIM: it may not be from the person; a person should check it.';

/** The hand-off reason when the AI declined to answer (fixed: the model's own words may echo the person's). */
export const REFUSAL_HAND_OFF_REASON = 'The AI declined to answer this message; a person should reply.';
