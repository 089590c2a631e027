/**
 * Scripted faults (POST /__faults): "the next N calls to this route answer 429 / 500 / a given
 * provider error / after a delay / by dropping the connection". Rules are consumed in order.
 */
/** The providers, and the demo client's events endpoint (client-events-receiver.ts). */
export type ProviderName = 'openai' | 'twilio' | 'sendgrid' | 'client-events';

export interface FaultRule {
  provider: ProviderName;
  /** Route name, e.g. openai `responses`, `conversations`; twilio `messages.create`, `messages.list`; sendgrid `mail.send`. Omitted: any route of the provider. */
  route?: string;
  /** How many calls it applies to (default 1). */
  count?: number;
  /** HTTP status to answer with (default 500). */
  status?: number;
  /** Provider error code: Twilio's numeric `code`, OpenAI's `code` string. */
  code?: string | number;
  message?: string;
  /** Wait this long first; with no status the call then proceeds normally. */
  delay_ms?: number;
  /** Destroy the socket instead of answering (the request is not handled). */
  drop?: boolean;
  /**
   * Handle the request, then destroy the socket instead of answering: the provider did the work
   * (e.g. Twilio created the message) but the client never learns it, as after a client timeout.
   */
  drop_after?: boolean;
  /**
   * OpenAI `responses`: answer 200, but `incomplete` (incomplete_details.reason "max_output_tokens",
   * the text cut short) or a `refusal` content part instead of text, as the real model may.
   */
  outcome?: 'incomplete' | 'refusal';
  /** Twilio messages.create: the created message stays `queued` (no date_sent) this long. */
  queued_ms?: number;
  /** Apply only to requests whose body or query contains this text (e.g. one recipient's number), so concurrent tests do not take each other's faults. */
  match?: string;
  /**
   * Apply to this share (0–1) of the matching calls, at random, until the faults are cleared;
   * `count` is then ignored. For load runs: "10 % of OpenAI calls fail".
   */
  rate?: number;
}

export class FaultBook {
  private rules: (FaultRule & { remaining: number })[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): void {
    this.rules.push({ ...rule, remaining: rule.count ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The rule that applies to this call, consuming one use of it. */
  take(provider: ProviderName, route: string, haystack = ''): FaultRule | undefined {
    const index = this.rules.findIndex(
      (rule) =>
        rule.provider === provider &&
        (rule.route === undefined || rule.route === route) &&
        rule.remaining > 0 &&
        (rule.match === undefined || haystack.includes(rule.match)) &&
        (rule.rate === undefined || this.random() < rule.rate),
    );
    if (index < 0) return undefined;
    const rule = this.rules[index]!;
    if (rule.rate !== undefined) return rule;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(index, 1);
    return rule;
  }

  pending(): FaultRule[] {
    return this.rules.map(({ remaining, ...rule }) => ({ ...rule, count: remaining }));
  }
}
