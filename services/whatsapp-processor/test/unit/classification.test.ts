import { APIConnectionError, APIError } from 'openai';
import { AppError, classifyOpenAiError, decideFailure, startHeartbeat } from '@ai-multi-comms/core';
import { classifyTwilioError } from '@ai-multi-comms/core';
import { whatsappAddress } from '../../src/whatsapp-channel';

describe('whatsappAddress', () => {
  it.each([
    ['+447700900001', 'whatsapp:+447700900001'],
    ['whatsapp:+447700900001', 'whatsapp:+447700900001'],
    ['whatsapp:whatsapp:+447700900001', 'whatsapp:+447700900001'],
  ])('%s → %s (the prefix exactly once)', (input, expected) => {
    expect(whatsappAddress(input)).toBe(expected);
  });
});

describe('classifyTwilioError', () => {
  it.each([
    [{ status: 429, code: 20429, message: 'Too Many Requests' }, 'rate-limited'],
    [{ status: 400, code: 21611, message: "This 'From' number has exceeded the maximum number of queued messages" }, 'rate-limited'],
    [{ status: 400, code: 30001, message: 'Queue overflow' }, 'rate-limited'],
    [{ status: 500, code: 20500, message: 'Internal' }, 'transient'],
    [{ status: 503, message: 'Unavailable' }, 'transient'],
    [{ status: 400, code: 21211, message: "Invalid 'To' Phone Number" }, 'permanent'],
    [{ status: 400, code: 63003, message: 'Channel could not find To address' }, 'permanent'],
    [{ status: 400, code: 63016, message: 'Outside the allowed window' }, 'permanent'],
    [{ status: 401, code: 20003, message: 'Authenticate' }, 'permanent'],
    [new Error('socket hang up'), 'transient'],
  ])('%p → %s, with the code in the reason', (error, kind) => {
    const classified = classifyTwilioError(error);
    expect(classified.kind).toBe(kind);
    const code = (error as { code?: number }).code;
    if (code) expect(classified.message).toContain(String(code));
  });
});

describe('classifyOpenAiError', () => {
  const apiError = (status: number, code?: string) => APIError.generate(status, { error: { message: 'x', code } }, 'x', new Headers());
  it.each([
    [apiError(429, 'rate_limit_exceeded'), 'rate-limited'],
    [apiError(429, 'insufficient_quota'), 'transient'], // not a rate: retried, then the DLQ until an operator tops up and redrives
    [apiError(500), 'transient'],
    [new APIConnectionError({ message: 'ECONNRESET' }), 'transient'],
    [apiError(400, 'invalid_request_error'), 'permanent'],
    [apiError(401, 'invalid_api_key'), 'permanent'],
    [apiError(404), 'permanent'],
  ])('%p → %s', (error, kind) => {
    expect(classifyOpenAiError(error).kind).toBe(kind);
  });
});

describe('decideFailure (docs/processing.md failure table)', () => {
  const permanent = new AppError('permanent', 'X', 'no');
  const transient = new AppError('transient', 'X', 'maybe');
  it.each([
    ['validate', permanent, 'failed_unknown', 'retry'],
    ['secrets', permanent, 'failed_secrets_fetch', 'retry'],
    ['secrets', transient, 'failed_secrets_fetch', 'retry'],
    ['ai', transient, 'failed_to_process_ai', 'retry'],
    ['ai', permanent, 'failed_to_process_ai', 'acknowledge'],
    ['send', transient, 'failed_to_send_message', 'retry'],
    ['send', permanent, 'failed_to_send_message', 'acknowledge'],
    ['send', new Error('bug'), 'failed_to_send_message', 'retry'],
  ] as const)('%s + %p → %s, %s', (step, error, status, queue) => {
    expect(decideFailure(step, error)).toMatchObject({ status, queue });
  });
});

describe('startHeartbeat', () => {
  it('beats until stopped and reports the first failure', async () => {
    let beats = 0;
    const heartbeat = startHeartbeat(async () => {
      beats += 1;
      if (beats === 3) throw new Error('ChangeMessageVisibility failed');
    }, 5);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(heartbeat.healthy()).toBe(false);
    expect(String(heartbeat.failure())).toContain('ChangeMessageVisibility failed');
    expect(beats).toBe(3); // no beats after a failure
    await heartbeat.stop();
  });
});

describe('leaseMsFor', () => {
  it('ends the lease before the message is offered again', async () => {
    const { leaseMsFor } = await import('@ai-multi-comms/core');
    expect(leaseMsFor(905)).toBe(900_000);
    expect(leaseMsFor(30)).toBe(27_000);
    expect(leaseMsFor(6)).toBe(5_000);
  });
});
