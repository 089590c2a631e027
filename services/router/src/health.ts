import type { APIGatewayProxyResult } from 'aws-lambda';

/**
 * GET /health: a liveness probe behind the same API key as the real route (a monitor or a client
 * checks "is the API up and is my key accepted" without creating anything). It does no I/O on
 * purpose, which also makes it `pnpm bench`'s ceiling: the most the same server can answer.
 */
export const handler = async (): Promise<APIGatewayProxyResult> => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json' },
  body: '{"status":"ok"}',
});
