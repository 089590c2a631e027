import { Attempt } from '../attempt';
import { sendingRefusals, sendNotAuthorised } from '../sending-authorisation';

/** The project's own item, not the queue message, says whether and from where to send. */
export const authoriseSending = async <C extends Record<string, string>>(attempt: Attempt<C>): Promise<void> => {
  attempt.step = 'authorise';
  const { company_id, project_id } = attempt.delivery.contextObject.frontend_payload.company_data;
  const refusals = sendingRefusals(
    attempt.delivery.contextObject,
    attempt.delivery.channel,
    await attempt.deps.companies.get(company_id, project_id),
  );
  if (refusals.length > 0) throw sendNotAuthorised(refusals);
};
