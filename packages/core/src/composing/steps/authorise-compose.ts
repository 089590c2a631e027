import { AppError } from '../../errors/app-error';
import type { ComposeAttempt } from '../compose-attempt';
import { COMPOSE_REFUSED } from '../compose-deps';

/** The project's own item, not the message, says whether to compose; one request is one thread, which needs one OpenAI key. */
export const authoriseCompose = async (attempt: ComposeAttempt): Promise<void> => {
  attempt.step = 'authorise';
  const { company_id, project_id } = attempt.request.contextObject.frontend_payload.company_data;
  const current = await attempt.deps.companies.get(company_id, project_id);
  const refusals = !current
    ? ['the project does not exist']
    : current.project_status !== 'active'
      ? [`project ${current.project_id} is not active`]
      : [];
  if (!attempt.request.keyReference)
    refusals.push('the channels name different OpenAI keys; one request is one thread, which needs one key');
  if (refusals.length > 0) throw new AppError('permanent', COMPOSE_REFUSED, `Not composed: ${refusals.join('; ')}.`);
};
