import { ALL_CHANNELS, Channel, CompanyProject, ErrorCodes, forbidden } from '@ai-multi-comms/core';

/**
 * Who may ask for what, decided in one place, in this order:
 * 1. the key must be bound to the requested company/project. An unknown pair answers exactly as
 *    a pair bound to another key does (403 API_KEY_NOT_AUTHORIZED), so that a key holder cannot
 *    learn which company and project ids exist;
 * 2. the project must be active;
 * 3. every channel asked for must be allowed for it (all of those that are not are named).
 * `all` means the project's allowed channels, in the order the project lists them.
 * Throws the refusal; returns the company and the request's channels.
 */
export const authorise = (
  found: CompanyProject | undefined,
  apiKeyHash: string | undefined,
  requested: Channel[] | typeof ALL_CHANNELS,
): { company: CompanyProject; channels: Channel[] } => {
  const company = authoriseKey(found, apiKeyHash);
  if (company.project_status !== 'active') {
    throw forbidden(ErrorCodes.PROJECT_INACTIVE, `Project ${company.project_id} is not active.`);
  }
  const allowed = company.allowed_channels ?? [];
  if (requested === ALL_CHANNELS) {
    if (allowed.length === 0) throw forbidden(ErrorCodes.CHANNEL_NOT_ALLOWED, 'No channel is enabled for this project.');
    return { company, channels: [...allowed] };
  }
  const refused = requested.filter((channel) => !allowed.includes(channel));
  if (refused.length > 0) {
    throw forbidden(
      ErrorCodes.CHANNEL_NOT_ALLOWED,
      `The ${refused.join(' and ')} channel${refused.length > 1 ? 's are' : ' is'} not enabled for this project.`,
    );
  }
  return { company, channels: requested };
};

/** Rule 1 alone: the key is bound to this company/project (what reading a project's conversations needs). */
export const authoriseKey = (company: CompanyProject | undefined, apiKeyHash: string | undefined): CompanyProject => {
  if (!company || !apiKeyHash || !(company.api_key_sha256 ?? []).includes(apiKeyHash)) {
    throw forbidden(ErrorCodes.API_KEY_NOT_AUTHORIZED, 'This API key is not authorised for this company and project.');
  }
  return company;
};
