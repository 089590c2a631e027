import {
  AppError,
  ErrorCodes,
  parseJsonBody,
  validateInitiateRequest,
  MAX_BODY_BYTES,
  MAX_LISTED_PROBLEMS,
  requestIdForErrors,
  toSqsSafeJson,
} from '../src';
import { requestBody } from '@ai-multi-comms/testing';

const refusal = (body: Record<string, any>): AppError => {
  try {
    validateInitiateRequest(body);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('validateInitiateRequest', () => {
  it('accepts the docs/api.md example and normalises request_id and channel_method to lower case', () => {
    const body = requestBody((b) => {
      b.request_data.request_id = '550E8400-E29B-41D4-A716-446655440001';
      b.request_data.channel_method = 'WhatsApp';
      b.company_data.api_key = 'legacy-key-in-body';
    });
    const request = validateInitiateRequest(body);
    expect(request.request_data.request_id).toBe('550e8400-e29b-41d4-a716-446655440001');
    expect(request.request_data.channel_method).toEqual(['whatsapp']);
    expect(request.company_data).toEqual({ company_id: 'ci-aaa-001', project_id: 'pi-aaa-001' }); // api_key dropped
    expect(request.project_data).toEqual({ jobID: '9999', jobRole: 'Healthcare Assistant' });
  });

  it('works without project_data and without names', () => {
    const request = validateInitiateRequest(
      requestBody((b) => {
        delete b.project_data;
        delete b.recipient_data.recipient_first_name;
        delete b.recipient_data.recipient_last_name;
      }),
    );
    expect(request.project_data).toBeUndefined();
  });

  it('accepts an email request without a phone number', () => {
    const request = validateInitiateRequest(
      requestBody((b) => {
        b.request_data.channel_method = 'email';
        delete b.recipient_data.recipient_tel;
      }),
    );
    expect(request.request_data.channel_method).toEqual(['email']);
  });

  it.each<[string, (body: any) => unknown, string, string]>([
    ['company_data missing', (b: any) => delete b.company_data, ErrorCodes.MISSING_COMPANY_DATA, 'company_data'],
    ['recipient_data missing', (b: any) => delete b.recipient_data, ErrorCodes.MISSING_RECIPIENT_DATA, 'recipient_data'],
    ['request_data missing', (b: any) => delete b.request_data, ErrorCodes.MISSING_REQUEST_DATA, 'request_data'],
    ['company_id missing', (b: any) => delete b.company_data.company_id, ErrorCodes.MISSING_IDENTIFIERS, 'company_data.company_id'],
    ['project_id missing', (b: any) => delete b.company_data.project_id, ErrorCodes.MISSING_IDENTIFIERS, 'company_data.project_id'],
    ['company_id with #', (b: any) => (b.company_data.company_id = 'ci#1'), ErrorCodes.VALIDATION_ERROR, 'company_data.company_id'],
    [
      'project_id too long',
      (b: any) => (b.company_data.project_id = 'p'.repeat(65)),
      ErrorCodes.VALIDATION_ERROR,
      'company_data.project_id',
    ],
    ['request_id missing', (b: any) => delete b.request_data.request_id, ErrorCodes.MISSING_REQUEST_ID, 'request_data.request_id'],
    ['request_id not a UUID', (b: any) => (b.request_data.request_id = 'abc'), ErrorCodes.INVALID_REQUEST_ID, 'request_data.request_id'],
    ['request_id a number', (b: any) => (b.request_data.request_id = 42), ErrorCodes.INVALID_REQUEST_ID, 'request_data.request_id'],
    [
      'request_id urn form',
      (b: any) => (b.request_data.request_id = 'urn:uuid:550e8400-e29b-41d4-a716-446655440001'),
      ErrorCodes.INVALID_REQUEST_ID,
      'request_data.request_id',
    ],
    ['channel missing', (b: any) => delete b.request_data.channel_method, ErrorCodes.MISSING_CHANNEL_METHOD, 'request_data.channel_method'],
    [
      'channel unknown',
      (b: any) => (b.request_data.channel_method = 'telegram'),
      ErrorCodes.UNSUPPORTED_CHANNEL,
      'request_data.channel_method',
    ],
    [
      'timestamp missing',
      (b: any) => delete b.request_data.initial_request_timestamp,
      ErrorCodes.MISSING_INITIAL_REQUEST_TIMESTAMP,
      'request_data.initial_request_timestamp',
    ],
    [
      'timestamp without zone',
      (b: any) => (b.request_data.initial_request_timestamp = '2025-09-15T11:45:32'),
      ErrorCodes.INVALID_TIMESTAMP,
      'request_data.initial_request_timestamp',
    ],
    [
      'timestamp impossible date',
      (b: any) => (b.request_data.initial_request_timestamp = '2025-02-30T11:45:32Z'),
      ErrorCodes.INVALID_TIMESTAMP,
      'request_data.initial_request_timestamp',
    ],
    [
      'tel missing for whatsapp',
      (b: any) => delete b.recipient_data.recipient_tel,
      ErrorCodes.MISSING_RECIPIENT_TEL,
      'recipient_data.recipient_tel',
    ],
    [
      'tel missing for sms',
      (b: any) => {
        delete b.recipient_data.recipient_tel;
        b.request_data.channel_method = 'SMS';
      },
      ErrorCodes.MISSING_RECIPIENT_TEL,
      'recipient_data.recipient_tel',
    ],
    [
      'tel without +',
      (b: any) => (b.recipient_data.recipient_tel = '447700900123'),
      ErrorCodes.INVALID_RECIPIENT_TEL,
      'recipient_data.recipient_tel',
    ],
    [
      'tel too short',
      (b: any) => (b.recipient_data.recipient_tel = '+123456'),
      ErrorCodes.INVALID_RECIPIENT_TEL,
      'recipient_data.recipient_tel',
    ],
    [
      'tel too long',
      (b: any) => (b.recipient_data.recipient_tel = '+1234567890123456'),
      ErrorCodes.INVALID_RECIPIENT_TEL,
      'recipient_data.recipient_tel',
    ],
    [
      'email missing for email',
      (b: any) => {
        delete b.recipient_data.recipient_email;
        b.request_data.channel_method = 'email';
      },
      ErrorCodes.MISSING_RECIPIENT_EMAIL,
      'recipient_data.recipient_email',
    ],
    [
      'email malformed',
      (b: any) => (b.recipient_data.recipient_email = 'john@'),
      ErrorCodes.INVALID_RECIPIENT_EMAIL,
      'recipient_data.recipient_email',
    ],
    [
      'consent missing',
      (b: any) => delete b.recipient_data.comms_consent,
      ErrorCodes.MISSING_COMMS_CONSENT,
      'recipient_data.comms_consent',
    ],
    [
      'consent a string',
      (b: any) => (b.recipient_data.comms_consent = 'true'),
      ErrorCodes.INVALID_COMMS_CONSENT_TYPE,
      'recipient_data.comms_consent',
    ],
    [
      'consent null',
      (b: any) => (b.recipient_data.comms_consent = null),
      ErrorCodes.INVALID_COMMS_CONSENT_TYPE,
      'recipient_data.comms_consent',
    ],
    [
      'first name too long',
      (b: any) => (b.recipient_data.recipient_first_name = 'x'.repeat(101)),
      ErrorCodes.VALIDATION_ERROR,
      'recipient_data.recipient_first_name',
    ],
    [
      'last name not a string',
      (b: any) => (b.recipient_data.recipient_last_name = 7),
      ErrorCodes.VALIDATION_ERROR,
      'recipient_data.recipient_last_name',
    ],
    [
      'unknown key in recipient_data',
      (b: any) => (b.recipient_data.recipient_phone = '+447700900123'),
      ErrorCodes.VALIDATION_ERROR,
      'recipient_data.recipient_phone',
    ],
    ['unknown key in request_data', (b: any) => (b.request_data.priority = 'high'), ErrorCodes.VALIDATION_ERROR, 'request_data.priority'],
    ['unknown key in company_data', (b: any) => (b.company_data.company = 'x'), ErrorCodes.VALIDATION_ERROR, 'company_data.company'],
    ['unknown top-level key', (b: any) => (b.conversation_data = {}), ErrorCodes.VALIDATION_ERROR, 'conversation_data'],
    ['project_data an array', (b: any) => (b.project_data = [1]), ErrorCodes.VALIDATION_ERROR, 'project_data'],
    ['company_data a string', (b: any) => (b.company_data = 'ci-aaa-001'), ErrorCodes.VALIDATION_ERROR, 'company_data'],
  ])('%s is refused with its code and field', (_name, patch, code, field) => {
    const error = refusal(requestBody(patch));
    expect(error.kind).toBe('validation');
    expect(error.code).toBe(code);
    expect(error.validationErrors?.map((e) => e.field)).toContain(field);
    expect(error.message).toMatch(/^Invalid request: /);
  });

  it('lists every problem, not only the first, and heads the response with the most basic one', () => {
    const error = refusal(
      requestBody((b) => {
        delete b.request_data.request_id;
        b.recipient_data.recipient_tel = 'nope';
        b.recipient_data.comms_consent = 'yes';
        b.request_data.extra = 1;
      }),
    );
    expect(error.code).toBe(ErrorCodes.MISSING_REQUEST_ID);
    expect(error.validationErrors?.map((e) => e.code).sort()).toEqual(
      [
        ErrorCodes.MISSING_REQUEST_ID,
        ErrorCodes.INVALID_RECIPIENT_TEL,
        ErrorCodes.INVALID_COMMS_CONSENT_TYPE,
        ErrorCodes.VALIDATION_ERROR,
      ].sort(),
    );
  });

  it('refuses project_data nested deeper than 32 levels without recursing', () => {
    let deep: any = 'leaf';
    for (let i = 0; i < 20000; i += 1) deep = [deep];
    const error = refusal(requestBody((b) => (b.project_data = { deep })));
    expect(error.code).toBe(ErrorCodes.VALIDATION_ERROR);
  });

  it('echoes a request id only when it is a UUID', () => {
    expect(requestIdForErrors({ request_data: { request_id: '550E8400-E29B-41D4-A716-446655440001' } })).toBe(
      '550e8400-e29b-41d4-a716-446655440001',
    );
    expect(requestIdForErrors({ request_data: { request_id: '<script>' } })).toBe('unknown');
    expect(requestIdForErrors(null)).toBe('unknown');
  });
});

describe('parseJsonBody', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as AppError).code;
    }
    return 'accepted';
  };

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
    ['not JSON', '{"a":'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"hello"'],
    ['JSON null', 'null'],
  ])('%s body → INVALID_REQUEST', (_name, raw) => {
    expect(code(() => parseJsonBody(raw as string))).toBe(ErrorCodes.INVALID_REQUEST);
  });

  it('refuses bytes that are not UTF-8', () => {
    const raw = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64');
    expect(code(() => parseJsonBody(raw, true))).toBe(ErrorCodes.INVALID_REQUEST);
  });

  it('accepts exactly 64 KiB and refuses one byte more with PAYLOAD_TOO_LARGE', () => {
    const pad = (size: number) => {
      const base = '{"p":""}';
      return `{"p":"${'x'.repeat(size - base.length)}"}`;
    };
    expect(Buffer.byteLength(pad(MAX_BODY_BYTES))).toBe(MAX_BODY_BYTES);
    expect(code(() => parseJsonBody(pad(MAX_BODY_BYTES)))).toBe('accepted');
    expect(code(() => parseJsonBody(pad(MAX_BODY_BYTES + 1)))).toBe(ErrorCodes.PAYLOAD_TOO_LARGE);
  });

  it('decodes base64 bodies (API Gateway binary passthrough)', () => {
    expect(parseJsonBody(Buffer.from('{"a":1}').toString('base64'), true)).toEqual({ a: 1 });
  });
});

describe('text that cannot travel', () => {
  it('refuses unpaired surrogates in any string or key, naming where', () => {
    const error = (() => {
      try {
        validateInitiateRequest(requestBody((b) => (b.project_data = { notes: ['ok', 'bad \ud800 text'] })));
      } catch (e) {
        return e as AppError;
      }
      throw new Error('accepted');
    })();
    expect(error.code).toBe(ErrorCodes.VALIDATION_ERROR);
    expect(error.validationErrors?.[0]?.field).toBe('project_data.notes[1]');
  });

  it('accepts emoji (paired surrogates) and noncharacters, which the queue serialiser escapes losslessly', () => {
    const request = validateInitiateRequest(requestBody((b) => (b.project_data = { note: 'hi 👋 \uFFFE\uFFFF' })));
    const text = toSqsSafeJson(request);
    expect(text).toMatch(/^[\x09\x0A\x0D\x20-\x7E\u0080-\uD7FF\uE000-\uFFFD]*$/);
    expect(text).toContain('\\ud83d\\udc4b');
    expect(JSON.parse(text)).toEqual(request);
  });
});

describe('what the body must be (accepted means delivered)', () => {
  it.each([
    ['a declared Latin-1 charset', JSON.stringify({ a: 'Jose' }), 'application/json; charset=iso-8859-1'],
    ['a declared charset in capitals and quotes', JSON.stringify({ a: 'Jose' }), 'application/json; charset="WINDOWS-1252"'],
    [
      'U+FFFD where the API decoded bytes that were not UTF-8',
      '{"recipient_data":{"recipient_first_name":"Jos\uFFFD"}}',
      'application/json',
    ],
  ])('refuses %s with 400 INVALID_REQUEST', (_name, body, contentType) => {
    const error = (() => {
      try {
        parseJsonBody(body, false, contentType);
      } catch (caught) {
        return caught as { code: string; message: string };
      }
      throw new Error('accepted');
    })();
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toMatch(/UTF-8/);
  });

  it('accepts UTF-8 declared or not', () => {
    expect(parseJsonBody('{"a":"José"}', false, 'application/json; charset=UTF-8')).toEqual({ a: 'José' });
    expect(parseJsonBody('{"a":"José"}', false, 'application/json')).toEqual({ a: 'José' });
    expect(parseJsonBody('{"a":"José"}')).toEqual({ a: 'José' });
  });

  it(`lists at most ${MAX_LISTED_PROBLEMS} problems, the most basic first, and says how many there were`, () => {
    const body = requestBody((b) => {
      delete b.request_data.request_id;
      for (let index = 0; index < 6000; index += 1) b.recipient_data[`unknown_${index}`] = 1;
    });
    const error = refusal(body);
    expect(error.validationErrors!.length).toBe(MAX_LISTED_PROBLEMS);
    expect(error.code).toBe('MISSING_REQUEST_ID');
    expect(error.validationErrors![0]!.field).toBe('request_data.request_id');
    expect(error.message).toContain('6001 problems in all');
  });
});

describe('channel_method: a channel, a list of distinct channels, or "all"', () => {
  it.each([
    ['a channel, any case', 'SMS', ['sms']],
    ['a list, in request order', ['Email', 'whatsapp', 'SMS'], ['email', 'whatsapp', 'sms']],
    ['all, any case', 'ALL', 'all'],
  ])('accepts %s', (_name, channelMethod, expected) => {
    expect(
      validateInitiateRequest(requestBody((b) => (b.request_data.channel_method = channelMethod))).request_data.channel_method,
    ).toEqual(expected);
  });

  it('lists every problem: a repeated channel (in any case), an unknown one, and the addresses missing for the others', () => {
    const error = refusal(
      requestBody((b) => {
        b.request_data.channel_method = ['sms', 'pigeon', 'SMS', 'email'];
        delete b.recipient_data.recipient_tel;
        delete b.recipient_data.recipient_email;
      }),
    );
    expect(error.code).toBe(ErrorCodes.UNSUPPORTED_CHANNEL);
    expect(error.validationErrors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: 'request_data.channel_method.1', code: ErrorCodes.UNSUPPORTED_CHANNEL })]),
    );
    const repeated = refusal(
      requestBody((b) => {
        b.request_data.channel_method = ['sms', 'SMS', 'email'];
        delete b.recipient_data.recipient_tel;
        delete b.recipient_data.recipient_email;
      }),
    );
    expect(repeated.validationErrors).toEqual([
      expect.objectContaining({
        field: 'request_data.channel_method',
        code: ErrorCodes.UNSUPPORTED_CHANNEL,
        message: expect.stringContaining('sms more than once'),
      }),
      expect.objectContaining({ field: 'recipient_data.recipient_tel', code: ErrorCodes.MISSING_RECIPIENT_TEL }),
      expect.objectContaining({ field: 'recipient_data.recipient_email', code: ErrorCodes.MISSING_RECIPIENT_EMAIL }),
    ]);
  });

  it.each([
    ['an empty list', []],
    ['more channels than exist', ['whatsapp', 'sms', 'email', 'whatsapp']],
    ['a list of something else', [1]],
    ['"all" inside a list', ['all']],
    ['an object', { whatsapp: true }],
  ])('refuses %s with UNSUPPORTED_CHANNEL', (_name, channelMethod) => {
    expect(refusal(requestBody((b) => (b.request_data.channel_method = channelMethod))).code).toBe(ErrorCodes.UNSUPPORTED_CHANNEL);
  });
});
