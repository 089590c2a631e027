import { CHANNEL_DESCRIPTORS } from '../channels';
import type { ContextObject } from '../context-object/types';
import type { Channel } from '../request/types';

/** What the AI is told of the request, whatever the channels: company, project, representatives, recipient's names, project_data. Never contact details or secrets. */
export const commonFirstMessageInput = (contextObject: ContextObject) => {
  const company = contextObject.company_data_payload;
  const request = contextObject.frontend_payload;
  return {
    company_name: company.company_name,
    project_name: company.project_name,
    company_rep: company.company_rep ?? {},
    recipient_first_name: request.recipient_data.recipient_first_name ?? null,
    recipient_last_name: request.recipient_data.recipient_last_name ?? null,
    project_data: request.project_data ?? {},
  };
};

/** What the AI is told for one channel's first message (a call of its own): the request's fields, the channel and its length limit. */
export const firstMessageInput = (contextObject: ContextObject, channel: Channel) => {
  const { project_data: projectData, ...common } = commonFirstMessageInput(contextObject);
  return {
    task: 'first_message',
    channel,
    ...common,
    max_message_length: CHANNEL_DESCRIPTORS[channel].obeysMaxMessageLength
      ? (contextObject.company_data_payload.rate_limits?.max_message_length ?? null)
      : null,
    project_data: projectData,
  };
};

/**
 * The OpenAI key of the request's thread. OpenAI keeps a conversation within the project of the
 * key that created it, so every turn on the thread must use one key: the channels' references
 * must agree (onboarding refuses a project whose do not).
 */
export const threadKeyReference = (contextObject: ContextObject): string | undefined => {
  const references = new Set(
    contextObject.frontend_payload.request_data.channel_method.map(
      (channel) => contextObject.company_data_payload.ai_config.openai_config[channel]?.api_key_reference,
    ),
  );
  return references.size === 1 ? [...references][0] : undefined;
};
