import { ErrorCodes } from '@ai-multi-comms/core';

/**
 * Which error codes each operation may answer, by status (docs/api.md's tables): the OpenAPI
 * document lists them on each response, and the contract check refuses a code outside them.
 */
const SERVER = [ErrorCodes.DATABASE_ERROR, ErrorCodes.QUEUE_ERROR, ErrorCodes.CONFIGURATION_ERROR, ErrorCodes.INTERNAL_ERROR];
const REQUEST_400 = [
  ErrorCodes.INVALID_REQUEST,
  ErrorCodes.MISSING_IDENTIFIERS,
  ErrorCodes.MISSING_COMPANY_DATA,
  ErrorCodes.MISSING_RECIPIENT_DATA,
  ErrorCodes.MISSING_REQUEST_DATA,
  ErrorCodes.MISSING_REQUEST_ID,
  ErrorCodes.MISSING_CHANNEL_METHOD,
  ErrorCodes.MISSING_INITIAL_REQUEST_TIMESTAMP,
  ErrorCodes.INVALID_REQUEST_ID,
  ErrorCodes.UNSUPPORTED_CHANNEL,
  ErrorCodes.INVALID_TIMESTAMP,
  ErrorCodes.MISSING_RECIPIENT_TEL,
  ErrorCodes.INVALID_RECIPIENT_TEL,
  ErrorCodes.MISSING_RECIPIENT_EMAIL,
  ErrorCodes.INVALID_RECIPIENT_EMAIL,
  ErrorCodes.MISSING_COMMS_CONSENT,
  ErrorCodes.INVALID_COMMS_CONSENT_TYPE,
  ErrorCodes.VALIDATION_ERROR,
];

export type ErrorTable = Record<number, readonly string[]>;

export const ERRORS: Record<string, ErrorTable> = {
  initiateConversation: {
    400: REQUEST_400,
    403: [
      ErrorCodes.API_KEY_NOT_AUTHORIZED,
      ErrorCodes.COMMS_CONSENT_REQUIRED,
      ErrorCodes.PROJECT_INACTIVE,
      ErrorCodes.CHANNEL_NOT_ALLOWED,
      ErrorCodes.RECIPIENT_OPTED_OUT,
    ],
    404: [ErrorCodes.COMPANY_NOT_FOUND],
    409: [ErrorCodes.IDEMPOTENCY_CONFLICT, ErrorCodes.IDEMPOTENCY_IN_PROGRESS],
    413: [ErrorCodes.PAYLOAD_TOO_LARGE],
    429: [ErrorCodes.RATE_LIMIT_EXCEEDED],
    500: SERVER,
  },
  getConversations: {
    400: [ErrorCodes.MISSING_IDENTIFIERS, ErrorCodes.MISSING_REQUEST_ID, ErrorCodes.INVALID_REQUEST_ID, ErrorCodes.VALIDATION_ERROR],
    403: [ErrorCodes.API_KEY_NOT_AUTHORIZED],
    404: [ErrorCodes.CONVERSATION_NOT_FOUND],
    500: SERVER,
  },
  postAgentMessage: {
    400: [ErrorCodes.INVALID_REQUEST, ErrorCodes.VALIDATION_ERROR],
    403: [ErrorCodes.API_KEY_NOT_AUTHORIZED, ErrorCodes.PROJECT_INACTIVE, ErrorCodes.RECIPIENT_OPTED_OUT],
    404: [ErrorCodes.CONVERSATION_NOT_FOUND],
    409: [ErrorCodes.WHATSAPP_WINDOW_CLOSED, ErrorCodes.IDEMPOTENCY_CONFLICT],
    500: SERVER,
  },
  handBack: {
    400: [ErrorCodes.INVALID_REQUEST, ErrorCodes.VALIDATION_ERROR],
    403: [ErrorCodes.API_KEY_NOT_AUTHORIZED],
    404: [ErrorCodes.CONVERSATION_NOT_FOUND],
    500: SERVER,
  },
};

/** What each status means to a client, for the document's descriptions. */
export const STATUS_MEANING: Record<number, string> = {
  400: 'The request is malformed: fix it before sending it again (`validation_errors` lists every problem).',
  403: 'Refused: the key is not bound to this project, or what is asked cannot be sent.',
  404: "Not found (or another project's: the two answer alike).",
  409: 'A conflict: the idempotency key was used for something else, is still in progress (retry after `Retry-After`), or the channel cannot take it now.',
  413: 'The body is over 256 KB.',
  429: "The project's rate limit: retry after `Retry-After` seconds.",
  500: "Our fault, never the request's: retrying is safe (idempotent).",
};
