import {
  addressProblems,
  Channel,
  CompanyProject,
  ErrorCodes,
  forbidden,
  parseJsonBody,
  registerSecretValue,
  requestRefusal,
  ResolvedRequest,
  sha256Hex,
  validateInitiateRequest,
} from '@ai-multi-comms/core';
import { authorise } from '../authorise';
import type { InitiateConversationDeps, InitiateConversationInput } from '../initiate-conversation';

/** A request the router may act on: valid, consented, authorised for its project, its channels resolved. */
export interface AdmittedRequest {
  request: ReturnType<typeof validateInitiateRequest>;
  resolved: ResolvedRequest;
  company: CompanyProject;
  channels: Channel[];
  /** The recipient's opt-outs on the named channels, read beside the project (undefined for `all`). */
  optOutsRead?: Promise<Channel[]>;
}

/**
 * Body rules (cheap, no I/O) → the project (cached), with the opt-outs read beside it in the same
 * round trip → authorisation (key binding, project rules). What the opt-outs say is only acted on,
 * and so only revealed, once the key is known to be this project's.
 */
export const admitRequest = async (input: InitiateConversationInput, deps: InitiateConversationDeps): Promise<AdmittedRequest> => {
  const request = validateInitiateRequest(parseJsonBody(input.rawBody, input.isBase64Encoded, input.contentType));
  const { company_id, project_id } = request.company_data;
  if (request.recipient_data.comms_consent !== true) {
    throw forbidden(
      ErrorCodes.COMMS_CONSENT_REQUIRED,
      'The recipient has not consented to be contacted (comms_consent is false); nothing was sent.',
    );
  }
  const named = request.request_data.channel_method === 'all' ? undefined : request.request_data.channel_method;
  const optOutsRead = named ? deps.optOuts.optedOutChannels(company_id, request.recipient_data, named) : undefined;
  optOutsRead?.catch(() => undefined); // awaited later; a refusal before then must not leave it unhandled
  const { company, channels } = authorise(
    await deps.companies.get(company_id, project_id),
    input.apiKey ? sha256Hex(input.apiKey) : undefined,
    request.request_data.channel_method,
  );
  // Only now is the key known to be one of ours: from here no log line may print it. (An
  // unauthenticated value is never registered, so a stranger cannot fill the redactor's set.)
  registerSecretValue(input.apiKey);
  if (request.request_data.channel_method === 'all') {
    // Named channels had their addresses checked with the body; "all" only now has channels.
    const missing = addressProblems(request.recipient_data, channels);
    if (missing.length > 0) throw requestRefusal(missing);
  }
  return {
    request,
    resolved: { ...request, request_data: { ...request.request_data, channel_method: channels } },
    company,
    channels,
    optOutsRead,
  };
};
