import type { WithSecret } from '../../queue-work/rotating-secret';
import type { ComposeAttempt } from '../compose-attempt';
import type { AiKey } from './read-ai-key';

/** The thread: created once and stored before any content, so every retry reuses it. */
export const ensureThread = async (attempt: ComposeAttempt, withKey: WithSecret<AiKey>): Promise<string> => {
  attempt.step = 'ai';
  const { deps, request, item, leaseToken } = attempt;
  if (item.thread_id) return item.thread_id;
  const threadId = await withKey((key) => deps.ai.createThread(key.ai_api_key, request.metadata));
  await deps.threads.recordThreadId(request.threadKey, leaseToken, threadId, deps.clock.now());
  deps.metrics.count('ThreadsCreated');
  return threadId;
};
