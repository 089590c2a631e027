import { readableLogLine } from '../src/processes/readable-log';

/** `pnpm start`'s default output: one readable line per step of a message's journey, every problem kept, the rest left out. */
const line = (entry: Record<string, unknown>) =>
  JSON.stringify({ timestamp: '2026-12-04T22:03:34.179Z', service: 'sms-processor', level: 'INFO', ...entry });

describe("the start command's readable function logs", () => {
  it('a step of the journey becomes one line: time, function, step, the conversation, what it left behind', () => {
    expect(
      readableLogLine(
        line({
          message: 'Message sent and recorded',
          conversation_id: 'ci#pi#req#447700900002',
          message_key: 'reply#twilio#SM1',
          provider_message_id: 'SMc035',
          end_to_end_ms: 534,
        }),
      ),
    ).toBe('22:03:34.179 sms-processor      sent  ci#pi#req#447700900002  (reply#twilio#SM1, SMc035, 534 ms end to end)');
  });

  it('every warning and error is kept, with its reason', () => {
    expect(
      readableLogLine(line({ level: 'ERROR', message: 'Processing failed', conversation_id: 'c1', failure_reason: 'Twilio 21610' })),
    ).toBe('22:03:34.179 sms-processor      ERROR: Processing failed  c1  (Twilio 21610)');
  });

  it('routine lines, non-JSON output and half lines are left out', () => {
    expect(readableLogLine(line({ message: 'Claimed the message' }))).toBeUndefined();
    expect(readableLogLine('offline: POST /dev/initiate-conversation (λ: initiateConversation)')).toBeUndefined();
    expect(readableLogLine('{"message":"Message sent and rec')).toBeUndefined();
  });
});
