import { Channel, CompanyProject, ErrorCodes, forbidden } from '@ai-multi-comms/core';

/**
 * Who may ask for what, decided in one place, in this order:
 * 1. the key must be bound to the requested company/project. An unknown pair answers exactly as
 *    a pair bound to another key does (403 API_KEY_NOT_AUTHORIZED), so that a key holder cannot
 *    learn which company and project ids exist;
 * 2. the project must be active;
 * 3. the channel must be allowed for it.
 * Throws the refusal; returns the company when the request may go on.
 */
export const authorise = (company: CompanyProject | undefined, apiKeyHash: string | undefined, channel: Channel): CompanyProject => {
  if (!company || !apiKeyHash || !(company.api_key_sha256 ?? []).includes(apiKeyHash)) {
    throw forbidden(ErrorCodes.API_KEY_NOT_AUTHORIZED, 'This API key is not authorised for this company and project.');
  }
  if (company.project_status !== 'active') {
    throw forbidden(ErrorCodes.PROJECT_INACTIVE, `Project ${company.project_id} is not active.`);
  }
  if (!(company.allowed_channels ?? []).includes(channel)) {
    throw forbidden(ErrorCodes.CHANNEL_NOT_ALLOWED, `The ${channel} channel is not enabled for this project.`);
  }
  return company;
};
