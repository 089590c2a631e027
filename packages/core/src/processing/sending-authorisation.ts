import { CompanyProject } from '../companies/types';
import { ContextObject } from '../context-object/types';
import { Channel } from '../request/types';
import { AppError } from '../errors/app-error';
import { canonicalJson } from '../util/canonical-json';

/**
 * A queue message is not proof of anything: whoever can put a message on a channel queue can
 * write any company's ids next to any company's sender and secret names. So before it sends, a
 * sender re-reads the project's own item and requires that
 * - the project exists and is active, and allows this channel (a deactivation between the
 *   request and the send stops the send);
 * - the sender configuration the message carries (number or address, credentials secret name)
 *   is the project's own.
 * Returns the reasons it may not send (empty: it may). A pure function, so the rule is
 * table-tested; the read itself is a step of the pipeline.
 */
export const SEND_NOT_AUTHORISED = 'SEND_NOT_AUTHORISED';

export const sendingRefusals = (contextObject: ContextObject, channel: Channel, current: CompanyProject | undefined): string[] => {
  const { company_id, project_id } = contextObject.frontend_payload.company_data;
  if (!current) return [`project ${project_id} of company ${company_id} does not exist`];
  const carried = contextObject.company_data_payload;
  const refusals: string[] = [];
  if (carried.company_id !== company_id || carried.project_id !== project_id)
    refusals.push("the company configuration carried is not the requested project's");
  if (current.project_status !== 'active') refusals.push(`project ${project_id} is not active`);
  if (!(current.allowed_channels ?? []).includes(channel)) refusals.push(`the ${channel} channel is not enabled for the project`);
  if (canonicalJson(carried.channel_config?.[channel] ?? null) !== canonicalJson(current.channel_config?.[channel] ?? null)) {
    refusals.push(`the ${channel} sender configuration carried is not the project's own`);
  }
  return refusals;
};

export const sendNotAuthorised = (refusals: string[]): AppError =>
  new AppError('permanent', SEND_NOT_AUTHORISED, `Not sent: ${refusals.join('; ')}.`.slice(0, 500));
