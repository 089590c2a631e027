import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import fc from 'fast-check';
import { AppError, cachedSecretReader, InboundMessage, receiveInboundEmail, SendGridInboundDeps } from '../src';
import { decodeCharset, decodeInboundParseFields } from '../src/replies/inbound-parse-charsets';
import { multipartFields } from '../src/replies/multipart-form';

/**
 * SendGrid Inbound Parse posts each text field in the mail's own charset and names it in the
 * `charsets` field (SendGrid's docs, "Character Sets and Header Decoding"):
 * `{"to":"UTF-8","subject":"iso-8859-1","text":"iso-8859-1"}`. Outlook's mail arrives as
 * iso-8859-1 or windows-1252, Japanese mail as iso-2022-jp; read as UTF-8, it reached the AI
 * garbled. The fields are read as bytes and decoded in their charset; what cannot be decoded is
 * U+FFFD and a warning naming the field and charset, never a 5xx.
 */

const hex = (value: string) => Buffer.from(value.replace(/\s+/g, ''), 'hex');
/** "Grüße, José" in ISO-8859-1. */
const LATIN1_GREETING = Buffer.from('Gr\xfc\xdfe, Jos\xe9', 'latin1');
/** "“Quote” – 5 €" in windows-1252 (0x93/0x94 curly quotes, 0x96 en dash, 0x80 euro). */
const CP1252_QUOTE = hex('93 51 75 6f 74 65 94 20 96 20 35 20 80');
/** "こんにちは" in ISO-2022-JP: ESC $ B, JIS X 0208 pairs, ESC ( B. */
const JIS_HELLO = hex('1b2442 2433 2473 244b 2441 244f 1b2842');

const capture = () => {
  const warnings: unknown[][] = [];
  return { warnings, logger: { warn: (...args: unknown[]) => void warnings.push(args) } };
};

describe('decoding one Inbound Parse field in its charset', () => {
  it.each(['iso-8859-1', 'ISO-8859-1', 'iso_8859-1', 'latin1', 'Latin-1'])('%s: "Grüße, José"', (label) => {
    expect(decodeCharset(LATIN1_GREETING, label)).toEqual({ text: 'Grüße, José' });
  });

  it.each(['windows-1252', 'Windows-1252', 'cp1252', 'CP-1252'])('%s: curly quotes, en dash and €', (label) => {
    expect(decodeCharset(CP1252_QUOTE, label)).toEqual({ text: '“Quote” – 5 €' });
  });

  it('iso-8859-1 that carries windows-1252 punctuation (Outlook) is read as windows-1252, as mail clients do', () => {
    expect(decodeCharset(CP1252_QUOTE, 'iso-8859-1')).toEqual({ text: '“Quote” – 5 €' });
  });

  it.each(['iso-2022-jp', 'ISO-2022-JP', 'csISO2022JP'])('%s: "こんにちは"', (label) => {
    expect(decodeCharset(JIS_HELLO, label)).toEqual({ text: 'こんにちは' });
  });

  it('other charsets by their aliases: Shift_JIS, EUC-KR, KOI8-R, UTF-16LE', () => {
    expect(decodeCharset(hex('82b182f182c982bf82cd'), 'Shift_JIS')).toEqual({ text: 'こんにちは' });
    expect(decodeCharset(hex('bec8b3e7'), 'ks_c_5601-1987')).toEqual({ text: '안녕' });
    expect(decodeCharset(hex('f0d2c9d7c5d4'), 'KOI8-R')).toEqual({ text: 'Привет' });
    expect(decodeCharset(Buffer.from('Grüße', 'utf16le'), 'utf-16le')).toEqual({ text: 'Grüße' });
  });

  it.each([undefined, '', 'UTF-8', 'utf8', 'Utf-8', '"utf-8"'])('%p is UTF-8', (label) => {
    expect(decodeCharset(Buffer.from('Grüße, José – こんにちは'), label)).toEqual({ text: 'Grüße, José – こんにちは' });
  });

  it('an unknown charset keeps the ASCII and turns every other byte into U+FFFD', () => {
    expect(decodeCharset(LATIN1_GREETING, 'x-unknown-charset')).toEqual({ text: 'Gr\uFFFD\uFFFDe, Jos\uFFFD', problem: 'unknown_charset' });
    expect(decodeCharset(Buffer.from('abc'), 'constructor')).toEqual({ text: 'abc', problem: 'unknown_charset' });
  });

  it('bytes that are not valid in their charset become U+FFFD', () => {
    expect(decodeCharset(hex('47 72 fc df 65'), 'utf-8')).toEqual({ text: 'Gr\uFFFD\uFFFDe', problem: 'malformed_bytes' });
    expect(decodeCharset(hex('41 81 42'), 'windows-1252')).toEqual({ text: 'A\uFFFDB', problem: 'malformed_bytes' });
    expect(decodeCharset(hex('1b2442 2433 ff 1b2842'), 'iso-2022-jp')).toMatchObject({
      text: expect.stringMatching(/^こ\uFFFD+$/),
      problem: 'malformed_bytes',
    });
    expect(decodeCharset(hex('82'), 'shift_jis')).toEqual({ text: '\uFFFD', problem: 'malformed_bytes' });
  });

  it('any bytes in any named charset: a string, never an exception', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.oneof(
          fc.string({ maxLength: 20 }),
          fc.constantFrom('utf-8', 'iso-2022-jp', 'windows-1252', 'shift_jis', 'utf-16', 'utf-7', 'gb18030', 'toString', '__proto__'),
        ),
        (bytes, label) => {
          expect(typeof decodeCharset(Buffer.from(bytes), label).text).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('decoding every field of an Inbound Parse post by its charsets field', () => {
  const post = (charsets: string | undefined, fields: Record<string, Buffer | string>) =>
    new Map<string, Buffer>([
      ...(charsets === undefined ? [] : [['charsets', Buffer.from(charsets)] as [string, Buffer]]),
      ...Object.entries(fields).map(([name, value]) => [name, Buffer.from(value)] as [string, Buffer]),
    ]);

  it('each field in the charset named for it; the fields it does not name are UTF-8', () => {
    const { logger, warnings } = capture();
    const fields = decodeInboundParseFields(
      post('{"to":"UTF-8","from":"UTF-8","subject":"iso-8859-1","text":"iso-8859-1","html":"windows-1252"}', {
        from: 'José <jose@example.com>',
        subject: Buffer.from('Re: Grüße', 'latin1'),
        text: LATIN1_GREETING,
        html: CP1252_QUOTE,
        headers: 'Subject: =?iso-8859-1?Q?Re:_Gr=FC=DFe?=\nX-Name: Grüße',
      }),
      logger,
    );
    expect(Object.fromEntries(fields)).toMatchObject({
      from: 'José <jose@example.com>',
      subject: 'Re: Grüße',
      text: 'Grüße, José',
      html: '“Quote” – 5 €',
      headers: expect.stringContaining('X-Name: Grüße'),
    });
    expect(warnings).toEqual([]);
  });

  it('a Japanese mail (iso-2022-jp)', () => {
    const { logger } = capture();
    expect(
      decodeInboundParseFields(post('{"text":"ISO-2022-JP","subject":"ISO-2022-JP"}', { text: JIS_HELLO, subject: JIS_HELLO }), logger).get(
        'text',
      ),
    ).toBe('こんにちは');
  });

  it('no charsets field: UTF-8, as before', () => {
    const { logger, warnings } = capture();
    expect(decodeInboundParseFields(post(undefined, { text: 'Grüße – こんにちは' }), logger).get('text')).toBe('Grüße – こんにちは');
    expect(warnings).toEqual([]);
  });

  it('field names in charsets are matched case-insensitively; values that are not strings are ignored', () => {
    const { logger } = capture();
    const fields = decodeInboundParseFields(post('{"Text":"latin1","subject":5}', { text: LATIN1_GREETING, subject: 'Grüße' }), logger);
    expect(Object.fromEntries(fields)).toMatchObject({ text: 'Grüße, José', subject: 'Grüße' });
  });

  it('an unknown charset: U+FFFD and a warning that names the field and the charset, not the text', () => {
    const { logger, warnings } = capture();
    const fields = decodeInboundParseFields(post('{"text":"x-mac-klingon"}', { text: LATIN1_GREETING }), logger);
    expect(fields.get('text')).toBe('Gr\uFFFD\uFFFDe, Jos\uFFFD');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]![1]).toEqual({ field: 'text', charset: 'x-mac-klingon', problem: 'unknown_charset' });
    expect(JSON.stringify(warnings)).not.toMatch(/Gr|Jos/);
  });

  it('malformed bytes: U+FFFD and a warning', () => {
    const { logger, warnings } = capture();
    const fields = decodeInboundParseFields(post('{"text":"UTF-8"}', { text: LATIN1_GREETING }), logger);
    expect(fields.get('text')).toBe('Gr\uFFFD\uFFFDe, Jos\uFFFD');
    expect(warnings.map((w) => w[1])).toEqual([{ field: 'text', charset: 'UTF-8', problem: 'malformed_bytes' }]);
  });

  it('a charsets field that is not a JSON object: every field UTF-8, and a warning', () => {
    for (const charsets of ['not json', '["utf-8"]', 'null', '"iso-8859-1"']) {
      const { logger, warnings } = capture();
      expect(decodeInboundParseFields(post(charsets, { text: 'Grüße' }), logger).get('text')).toBe('Grüße');
      expect(warnings).toHaveLength(1);
    }
  });

  it('each field is cut to maxChars characters', () => {
    const { logger } = capture();
    expect(decodeInboundParseFields(post('{"text":"iso-2022-jp"}', { text: JIS_HELLO }), logger, 3).get('text')).toBe('こんに');
  });
});

describe('reading a multipart/form-data body as bytes', () => {
  const CRLF = '\r\n';
  const part = (boundary: string, headers: string, value: string) => `--${boundary}${CRLF}${headers}${CRLF}${CRLF}${value}${CRLF}`;

  it('text fields as their bytes; file parts skipped; a name given twice keeps its first value', () => {
    const body = Buffer.concat([
      Buffer.from(`preamble${CRLF}`),
      Buffer.from(part('xYz', 'Content-Disposition: form-data; name="from"', 'a@example.com')),
      Buffer.from(`--xYz${CRLF}Content-Disposition: form-data; name="text"${CRLF}${CRLF}`),
      LATIN1_GREETING,
      Buffer.from(CRLF),
      Buffer.from(part('xYz', 'Content-Disposition: form-data; name="attachment1"; filename="a.txt"\r\nContent-Type: text/plain', 'file')),
      Buffer.from(part('xYz', 'Content-Disposition: form-data; name="from"', 'second@example.com')),
      Buffer.from(part('xYz', 'Content-Disposition: form-data; name="empty"', '')),
      Buffer.from(`--xYz--${CRLF}epilogue`),
    ]);
    const fields = multipartFields(body, 'multipart/form-data; boundary="xYz"')!;
    expect([...fields.keys()]).toEqual(['from', 'text', 'empty']);
    expect(fields.get('from')!.toString()).toBe('a@example.com');
    expect(fields.get('text')).toEqual(LATIN1_GREETING);
    expect(fields.get('empty')).toEqual(Buffer.alloc(0));
  });

  it('not a complete multipart body: undefined', () => {
    const whole = part('b', 'Content-Disposition: form-data; name="a"', 'x') + '--b--\r\n';
    expect(multipartFields(Buffer.from(whole), 'multipart/form-data')).toBeUndefined(); // no boundary
    expect(multipartFields(Buffer.from(whole), 'multipart/form-data; boundary=other')).toBeUndefined();
    expect(multipartFields(Buffer.from(whole.slice(0, -9)), 'multipart/form-data; boundary=b')).toBeUndefined(); // no close delimiter
    expect(
      multipartFields(Buffer.from('--b\r\nContent-Disposition: form-data; name="a"'), 'multipart/form-data; boundary=b'),
    ).toBeUndefined();
    expect(multipartFields(Buffer.alloc(0), 'multipart/form-data; boundary=b')).toBeUndefined();
  });

  it("reads what the runtime's FormData writes, field for field", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('text', 'from', 'to', 'subject', 'html'), fc.string({ maxLength: 40, unit: 'binary' })), {
          maxLength: 6,
        }),
        async (entries) => {
          const form = new FormData();
          for (const [name, value] of entries) form.append(name, value);
          const request = new Request('https://example.test', { method: 'POST', body: form });
          const fields = multipartFields(Buffer.from(await request.arrayBuffer()), request.headers.get('content-type')!)!;
          const expected = new Map<string, string>();
          for (const [name, value] of entries) if (!expected.has(name)) expected.set(name, value.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n'));
          expect(new Map([...fields].map(([name, bytes]) => [name, bytes.toString('utf8')]))).toEqual(
            new Map([...expected].map(([name, value]) => [name, Buffer.from(value).toString('utf8')])),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('any bytes: undefined or fields, never an exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 100 }), (text, bytes) => {
        for (const body of [
          Buffer.from(`--xyz\r\nContent-Disposition: form-data; name="from"\r\n\r\n${text}\r\n--xyz--\r\n`),
          Buffer.from(bytes),
          Buffer.from(`--xyz\r\n${text}`),
        ]) {
          const fields = multipartFields(body, 'multipart/form-data; boundary=xyz');
          expect(fields === undefined || fields instanceof Map).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('POST /webhooks/sendgrid/inbound with a mail in another charset', () => {
  const CREDENTIALS = { username: 'parse', password: 'parse-password' };
  const authorization = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString('base64')}`;

  const depsFor = () => {
    const stored: InboundMessage[] = [];
    const warnings: unknown[][] = [];
    const secretReads: string[] = [];
    const deps: SendGridInboundDeps = {
      secrets: cachedSecretReader(
        {
          send: async (command: { input: { SecretId: string } }) => (
            secretReads.push(command.input.SecretId), { SecretString: JSON.stringify(CREDENTIALS) }
          ),
        } as unknown as SecretsManagerClient,
        60_000,
      ),
      parseCredentialsSecret: 'parse-secret',
      conversations: {
        byInboundKey: async () => undefined,
        byProviderMessageId: async () => undefined,
        byConversationId: async () => undefined,
      },
      inbound: {
        receive: async (message) => (stored.push(message), { created: true }),
        get: async () => undefined,
        link: async () => undefined,
        markEnqueued: async () => undefined,
        markThreadNoted: async () => undefined,
        storeAnswer: async (_id, answer) => answer,
        finish: async () => undefined,
      },
      optOuts: { record: async () => undefined } as unknown as SendGridInboundDeps['optOuts'],
      queue: { enqueue: async () => undefined },
      latest: { note: async () => undefined },
      clock: { now: () => new Date('2026-12-04T10:00:00.000Z') },
      metrics: { count: () => undefined },
      logger: {
        info: () => undefined,
        warn: (...args: unknown[]) => void warnings.push(args),
        error: () => undefined,
      } as unknown as SendGridInboundDeps['logger'],
    };
    return { deps, stored, warnings, secretReads };
  };

  const inboundParse = (charset: string, text: Buffer, subject: Buffer) => {
    const boundary = 'xYzZY';
    const field = (name: string, value: Buffer | string) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`),
        Buffer.from(value),
        Buffer.from('\r\n'),
      ]);
    const body = Buffer.concat([
      field('headers', 'Message-ID: <m1@person.example>\nSubject: =?x?B?eA==?='),
      field('from', 'Person <person@example.com>'),
      field('to', 'reply+0123456789abcdef0123456789abcdef@reply.example.com'),
      field('subject', subject),
      field('text', text),
      field('charsets', JSON.stringify({ to: 'UTF-8', from: 'UTF-8', subject: charset, text: charset })),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    return {
      rawBody: body.toString('base64'),
      isBase64Encoded: true,
      contentType: `multipart/form-data; boundary=${boundary}`,
      authorization,
    };
  };

  it.each([
    ['iso-8859-1', LATIN1_GREETING, Buffer.from('Re: Grüße', 'latin1'), 'Grüße, José', 'Re: Grüße'],
    ['windows-1252', CP1252_QUOTE, Buffer.from('Re: Job', 'latin1'), '“Quote” – 5 €', 'Re: Job'],
    ['iso-2022-jp', JIS_HELLO, JIS_HELLO, 'こんにちは', 'こんにちは'],
  ])('%s: the stored inbound message holds the decoded text and subject', async (charset, text, subject, expectedText, expectedSubject) => {
    const { deps, stored, warnings } = depsFor();
    await expect(receiveInboundEmail(inboundParse(charset, text, subject), deps)).resolves.toMatchObject({ statusCode: 200 });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      from_address: 'person@example.com',
      text: expectedText,
      subject: expectedSubject,
      email_message_id: '<m1@person.example>',
    });
    expect(warnings.filter((w) => String(w[0]).startsWith('Inbound Parse'))).toEqual([]);
  });

  it('an unknown charset: still received (200, never a 5xx), with U+FFFD and a warning', async () => {
    const { deps, stored, warnings } = depsFor();
    await expect(receiveInboundEmail(inboundParse('x-klingon', LATIN1_GREETING, Buffer.from('Re: hi')), deps)).resolves.toMatchObject({
      statusCode: 200,
    });
    expect(stored[0]!.text).toBe('Gr\uFFFD\uFFFDe, Jos\uFFFD');
    expect(warnings.map((w) => w[1])).toContainEqual({ field: 'text', charset: 'x-klingon', problem: 'unknown_charset' });
  });

  it('the Basic credentials are checked before the body is read', async () => {
    const { deps, stored } = depsFor();
    let bodyRead = false;
    const request = {
      ...inboundParse('iso-8859-1', LATIN1_GREETING, Buffer.from('x')),
      authorization: `Basic ${Buffer.from('parse:wrong').toString('base64')}`,
    };
    const watched = Object.defineProperty({ ...request }, 'rawBody', { get: () => ((bodyRead = true), request.rawBody) });
    const refusal = await receiveInboundEmail(watched, deps).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ kind: 'forbidden', code: 'WEBHOOK_UNAUTHENTICATED' });
    expect(bodyRead).toBe(false);
    expect(stored).toHaveLength(0);
  });

  it('a body that is not complete multipart: 400, not a 5xx', async () => {
    const { deps } = depsFor();
    const request = {
      ...inboundParse('utf-8', Buffer.from('x'), Buffer.from('x')),
      rawBody: Buffer.from('--xYzZY\r\nContent-Disposition: form-data; name="from"\r\n\r\nno end').toString('base64'),
    };
    await expect(receiveInboundEmail(request, deps)).rejects.toMatchObject({ kind: 'validation', code: 'WEBHOOK_BODY_INVALID' });
  });
});
