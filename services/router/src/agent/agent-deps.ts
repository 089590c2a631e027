import type {
  ClientEvents,
  Clock,
  CompanyRepository,
  ConversationFinder,
  ConversationList,
  HandBack,
  InboundStore,
  OptOutStore,
  ReplyQueue,
} from '@ai-multi-comms/core';

/** What the agent API works with; tests build it with emulator clients or fakes. */
export interface AgentDeps {
  companies: Pick<CompanyRepository, 'get'>;
  conversations: Pick<ConversationFinder, 'byConversationId'>;
  optOuts: Pick<OptOutStore, 'isOptedOut'>;
  /** An agent's message is an inbound item of the thread, taken in the thread's turn on the reply queue. */
  inbound: Pick<InboundStore, 'receive' | 'markEnqueued'>;
  queue: ReplyQueue;
  handBack: HandBack;
  list: ConversationList;
  clock: Clock;
  /** The project's signed events (conversation.handed_back), when the deployment has them. */
  events?: ClientEvents;
}
