import { retentionExpiresAt } from '../../companies/retention';
import { primaryChannelFor } from '../../context-object/conversation-id';
import { leaseMsFor } from '../../queue-work/lease';
import type { RecordOutcome } from '../../queue-work/queue-outcomes';
import type { RecordRun } from '../../queue-work/record-run';
import type { ComposeRequest } from '../compose-attempt';
import type { ComposeDeps } from '../compose-deps';
import type { ThreadClaim } from '../thread-repository';

/** Claim the request's thread item (the same lease rule as a message's, docs/processing.md); a published or refused request is a duplicate. */
export const claimThread = async (
  run: RecordRun,
  deps: ComposeDeps,
  request: ComposeRequest,
): Promise<Extract<ThreadClaim, { outcome: 'claimed' }> | RecordOutcome> => {
  const { logger, conclude } = run;
  const { contextObject, channels, threadKey } = request;
  const { frontend_payload: body } = contextObject;
  let claim: ThreadClaim;
  try {
    const initial = {
      thread_key: threadKey,
      expires_at: retentionExpiresAt(contextObject.company_data_payload, deps.clock.now()),
      company_id: body.company_data.company_id,
      project_id: body.company_data.project_id,
      request_id: body.request_data.request_id,
      channels,
      conversations: contextObject.conversation_data.conversations.map(({ channel, conversation_id }) => ({
        channel,
        conversation_id,
        primary_channel: primaryChannelFor(body, channel),
      })),
    };
    claim = await deps.threads.claim(initial, deps.clock.now(), leaseMsFor(deps.config.visibilityTimeoutSeconds));
  } catch (error) {
    logger.error('Could not claim the thread', { error: error as Error });
    return conclude('claim-failed', 'claim failed');
  }
  if (claim.outcome === 'done') {
    logger.info('Duplicate delivery: the request is already composed', { status: claim.item.status });
    return conclude('duplicate', `already ${claim.item.status}`);
  }
  if (claim.outcome === 'busy') return conclude('busy', 'busy', claim.retryInMs);
  logger.appendKeys({ attempt: claim.attempt });
  return claim;
};
