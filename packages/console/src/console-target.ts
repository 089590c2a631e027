/**
 * What the console works against: the local stack (`pnpm start` starts it), or a deployed stage
 * (`pnpm console --stage dev`, with the operator's AWS credentials).
 */
export interface ConsoleTarget {
  stage: string;
  /** `local`: the person's side and the playground exist, and the demo keys are known. */
  local: boolean;
  tables: { companyData: string; conversations: string; messages: string; threads: string; deliveryEvents?: string };
  /** Each queue with its DLQ (compose, reply, whatsapp, sms, email). */
  queues: { name: string; queueUrl: string; deadLetterQueueUrl: string }[];
  /** The engine's API (`…/dev`): the agent's buttons go through it, with the project's key. */
  apiBaseUrl: string;
  /** API keys by `company_id#project_id` (local: the demo keys); a stage's operator types one in the console. */
  apiKeys: Record<string, string>;
  /** Local only: the local providers (the person's side reads and writes there). */
  providersUrl?: string;
  /** Buttons that change something (reply, hand-back, redrive, playground); off for a stage unless asked for. */
  actions: boolean;
}
