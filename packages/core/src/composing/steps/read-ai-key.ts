import { readRotatingSecret, WithSecret } from '../../queue-work/rotating-secret';
import type { ComposeAttempt } from '../compose-attempt';

export type AiKey = { ai_api_key: string };

/** The thread's OpenAI key, through the kernel's rotating secret (a refused key is read again once). */
export const readAiKey = async (attempt: ComposeAttempt): Promise<WithSecret<AiKey>> => {
  attempt.step = 'secrets';
  return readRotatingSecret<AiKey>(
    attempt.deps.secrets,
    { name: attempt.request.keyReference!, requiredKeys: ['ai_api_key'] },
    attempt.logger,
  );
};
