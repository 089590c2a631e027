import { randomUUID } from 'node:crypto';
import {
  buildContextObject,
  Channel,
  CompanyProject,
  ComposedMessage,
  ComposedPart,
  ContextObject,
  dynamoCompanyRepository,
  InitiateConversationRequest,
  ResolvedRequest,
  validateInitiateRequest,
} from '@ai-multi-comms/core';
import { stackClients, StackState, validBody } from './stack';

/** A validated request with its channels resolved as the router resolves them (`all`: the project's). */
export const resolvedRequest = (
  request: InitiateConversationRequest,
  company: Pick<CompanyProject, 'allowed_channels'>,
): ResolvedRequest => ({
  ...request,
  request_data: {
    ...request.request_data,
    channel_method: request.request_data.channel_method === 'all' ? [...company.allowed_channels] : request.request_data.channel_method,
  },
});

/** The router's Context Object for `validBody(patch, channel)` and a project, as the compose step receives it. */
export const routerContextObjectFor = (
  company: CompanyProject,
  patch?: Parameters<typeof validBody>[0],
  channel?: string,
): ContextObject => {
  const request = validateInitiateRequest(
    validBody((body) => {
      body.company_data = { company_id: company.company_id, project_id: company.project_id };
      patch?.(body);
    }, channel),
  );
  return buildContextObject({
    request: resolvedRequest(request, company),
    company,
    receivedAt: new Date(),
    routerVersion: 'test',
    traceId: randomUUID(),
  });
};

/**
 * What the compose step would write for a channel, from the request itself (the recipient's
 * name, the role), in the local OpenAI's manner: for tests that hand a sender its message
 * without running the compose step.
 */
export const composedPartFor = (contextObject: ContextObject, channel: Channel): ComposedPart => {
  const first = contextObject.frontend_payload.recipient_data.recipient_first_name ?? 'there';
  const role = String(
    (contextObject.frontend_payload.project_data as { jobRole?: unknown } | undefined)?.jobRole ??
      contextObject.company_data_payload.project_name,
  );
  const rep = contextObject.company_data_payload.company_rep?.company_rep_1 ?? 'the recruitment team';
  const sentence = `Hi ${first}, this is ${rep} from ${contextObject.company_data_payload.company_name} about the ${role} position. Are you still interested?`;
  const usage = { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 };
  if (channel === 'whatsapp') {
    const json = { 1: first, 2: rep, 3: role, 4: sentence };
    return { text: JSON.stringify(json), json, usage };
  }
  if (channel === 'email') {
    const json = { subject: `${role} at ${contextObject.company_data_payload.company_name}`, body: sentence };
    return { text: JSON.stringify(json), json, usage };
  }
  return { text: sentence, usage };
};

/** The compose step's message for a Context Object: a thread id and every channel's part. */
export const composedMessageOf = (
  contextObject: ContextObject,
  threadId = `conv_test_${randomUUID().replace(/-/g, '')}`,
): ComposedMessage => ({
  ...contextObject,
  conversation_data: { ...contextObject.conversation_data, thread_id: threadId },
  composed: Object.fromEntries(
    contextObject.conversation_data.conversations.map(({ channel }) => [channel, composedPartFor(contextObject, channel)]),
  ),
});

/** A sender's message for any project (e.g. a throwaway one), for `validBody(patch, channel)`. */
export const contextObjectFor = (company: CompanyProject, patch?: Parameters<typeof validBody>[0], channel?: string): ComposedMessage =>
  composedMessageOf(routerContextObjectFor(company, patch, channel));

/**
 * A sender's message exactly as the compose step publishes it, for demo company A's project as
 * the stack holds it, from `validBody(patch, channel)`: for tests that put messages straight on
 * a channel queue or into processRecord.
 */
export const demoContextObject = async (
  state: StackState,
  clients: ReturnType<typeof stackClients>,
  patch?: Parameters<typeof validBody>[0],
  channel?: string,
): Promise<ComposedMessage> => {
  const company = (await dynamoCompanyRepository(clients.documents, state.resources.companyDataTable!).get('ci-aaa-001', 'pi-aaa-001'))!;
  return contextObjectFor(company, patch, channel);
};

/** The (first) conversation id a message carries. */
export const conversationIdIn = (message: ContextObject): string => message.conversation_data.conversations[0]!.conversation_id;
