/**
 * `pnpm start`'s default log output: one line per step of a message's journey, readable by a
 * person, instead of every function's JSON (twenty requests printed 464 lines). The JSON stays
 * behind `--json-logs`, and in full in `--log-file`. A function's line is a Powertools JSON
 * object; the journey's steps are named here by their messages, and every WARN, ERROR and
 * CRITICAL line is kept (shortened) whatever it says. Anything else (serverless-offline's own
 * chatter, a line that is not JSON) is left out.
 */
const JOURNEY: Record<string, string> = {
  'Conversation request queued': 'accepted',
  'Repeated request: returning the original outcome': 'repeat (original answer)',
  'Composed and published': 'composed',
  'Message sent and recorded': 'sent',
  'Inbound message linked and queued': 'reply received',
  "Reply answered: the answer is with the channel's sender": 'reply answered',
  'Reply stored, not answered': 'reply held',
  'Opt-out keyword stored on the conversation; not answered': 'opt-out keyword',
};

const short = (value: unknown, max = 60): string | undefined => {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value);
  return text.length > max ? `…${text.slice(-max)}` : text;
};

/** The person-readable form of one function log line, or undefined to leave it out. */
export const readableLogLine = (line: string): string | undefined => {
  if (!line.startsWith('{')) return undefined;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const message = typeof entry.message === 'string' ? entry.message : '';
  const level = typeof entry.level === 'string' ? entry.level : 'INFO';
  const step = JOURNEY[message];
  const problem = level === 'WARN' || level === 'ERROR' || level === 'CRITICAL';
  if (!step && !problem) return undefined;
  const time = typeof entry.timestamp === 'string' ? entry.timestamp.slice(11, 23) : '';
  const subject = short(entry.conversation_id) ?? short(entry.inbound_id) ?? short(entry.request_id) ?? '';
  const details = [
    typeof entry.message_key === 'string' && entry.message_key !== 'initial' ? entry.message_key.slice(0, 60) : undefined,
    short(entry.provider_message_id, 40),
    typeof entry.end_to_end_ms === 'number' ? `${entry.end_to_end_ms} ms end to end` : undefined,
    problem ? short(entry.failure_reason ?? entry.reason ?? entry.why, 120) : undefined,
  ].filter(Boolean);
  const what = step ?? `${level}: ${message.slice(0, 140)}`;
  const service = typeof entry.service === 'string' ? entry.service : '';
  return `${time} ${service.padEnd(18)} ${what}${subject ? `  ${subject}` : ''}${details.length > 0 ? `  (${details.join(', ')})` : ''}`;
};
