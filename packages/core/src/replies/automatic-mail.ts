import { headerValue } from './email-reply-text';

/**
 * Mail no person wrote: out-of-office answers, auto-responders, mailing-list and bulk mail,
 * delivery reports. Stored on the conversation and never answered, or an auto-responder and the
 * engine would write to each other for ever. The signs, in the order checked:
 * - RFC 3834 `Auto-Submitted` with any value but `no` (auto-replied, auto-generated, auto-notified);
 * - `X-Autoreply` / `X-Autorespond` (Exchange and cPanel responders), `X-Auto-Response-Suppress` is not one;
 * - `Precedence: bulk | junk | list | auto_reply` (RFC 3834 §3.1.8's legacy signals);
 * - an empty `Return-Path: <>` (RFC 5321: bounces and other delivery reports);
 * - a MAILER-DAEMON or postmaster sender;
 * - a delivery report body (`Content-Type: multipart/report`, RFC 6522).
 * Returns why, or undefined for a person's mail.
 */
export const automaticMailReason = (rawHeaders: string, from: string): string | undefined => {
  const autoSubmitted = headerValue(rawHeaders, 'Auto-Submitted')?.trim().toLowerCase();
  if (autoSubmitted && !/^no\b/.test(autoSubmitted)) return `Auto-Submitted: ${autoSubmitted.slice(0, 40)}`;
  if (headerValue(rawHeaders, 'X-Autoreply') !== undefined) return 'X-Autoreply';
  if (headerValue(rawHeaders, 'X-Autorespond') !== undefined) return 'X-Autorespond';
  const precedence = headerValue(rawHeaders, 'Precedence')?.trim().toLowerCase();
  if (precedence && ['bulk', 'junk', 'list', 'auto_reply'].includes(precedence)) return `Precedence: ${precedence}`;
  if (/^<\s*>$/.test(headerValue(rawHeaders, 'Return-Path')?.trim() ?? '')) return 'empty Return-Path';
  if (/^(mailer-daemon|postmaster)@/i.test(from)) return 'a mail system sender';
  if (/^multipart\/report\b/i.test(headerValue(rawHeaders, 'Content-Type')?.trim() ?? '')) return 'a delivery report';
  return undefined;
};

/**
 * The addresses of a `From` field (RFC 5322 mailbox-list): split at commas outside quotes, comments
 * and angle brackets; each the `<addr>` of a name-addr, else the bare addr-spec. Lower case.
 */
export const addressesInFrom = (value: string): string[] => {
  const mailboxes: string[] = [];
  let current = '';
  let quoted = false;
  let angle = 0;
  let comment = 0;
  for (const char of value) {
    if (char === '"' && comment === 0) quoted = !quoted;
    else if (!quoted && char === '(') comment += 1;
    else if (!quoted && char === ')' && comment > 0) comment -= 1;
    else if (!quoted && comment === 0 && char === '<') angle += 1;
    else if (!quoted && comment === 0 && char === '>' && angle > 0) angle -= 1;
    if (char === ',' && !quoted && angle === 0 && comment === 0) {
      mailboxes.push(current);
      current = '';
    } else current += char;
  }
  mailboxes.push(current);
  return mailboxes
    .map((mailbox) => {
      const inAngles = /<([^<>\s@]+@[^<>\s@]+)>\s*(\(.*\))?\s*$/.exec(mailbox.trim());
      const bare = /^\s*(?:\(.*?\)\s*)?([^<>\s@",;()]+@[^<>\s@",;()]+)\s*(?:\(.*\))?\s*$/.exec(mailbox);
      return (inAngles?.[1] ?? bare?.[1])?.toLowerCase();
    })
    .filter((address): address is string => Boolean(address));
};

/**
 * SendGrid's verdicts on the mail (Inbound Parse `SPF`: pass, fail, softfail, neutral, none…;
 * `dkim`: "{@domain : pass}" per signature, or "none"). Failed when SPF failed and no DKIM
 * signature passed: nothing vouches that the person in `From` sent it.
 */
export const senderUnverified = (spf: string | undefined, dkim: string | undefined): boolean =>
  /^(fail|softfail)$/i.test((spf ?? '').trim()) && !/:\s*pass\b/i.test(dkim ?? '');
