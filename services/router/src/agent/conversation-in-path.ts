import { ConversationItem, ErrorCodes, notFound, sha256Hex } from '@ai-multi-comms/core';
import { authoriseKey } from '../authorise';
import type { AgentDeps } from './agent-deps';

/**
 * The conversation a path names, if the API key may act on it. The id is URL-encoded in the path
 * (it holds `#`); API Gateway hands path parameters over as sent, so it is decoded here. The id
 * starts with its company and project: the key's binding is checked before anything of the
 * conversation is read, and a conversation of another project answers as a missing one would.
 */
export const conversationInPath = async (
  rawId: string | undefined,
  apiKey: string | undefined,
  deps: Pick<AgentDeps, 'companies' | 'conversations'>,
) => {
  const id = decodedId(rawId);
  const [companyId, projectId] = id.split('#');
  if (!companyId || !projectId) throw notFound(ErrorCodes.CONVERSATION_NOT_FOUND, 'There is no such conversation.');
  const project = authoriseKey(await deps.companies.get(companyId, projectId), apiKey ? sha256Hex(apiKey) : undefined);
  const conversation: ConversationItem | undefined = await deps.conversations.byConversationId(id);
  if (!conversation || conversation.company_id !== companyId || conversation.project_id !== projectId)
    throw notFound(ErrorCodes.CONVERSATION_NOT_FOUND, 'There is no such conversation.');
  return { project, conversation };
};

const decodedId = (rawId: string | undefined): string => {
  if (!rawId || rawId.length > 2048) throw notFound(ErrorCodes.CONVERSATION_NOT_FOUND, 'There is no such conversation.');
  try {
    // Conversation ids never hold a `%` of their own (ids, a UUID, an address): decoding twice-encoded ids is safe.
    return /%[0-9a-fA-F]{2}/.test(rawId) ? decodeURIComponent(rawId) : rawId;
  } catch {
    throw notFound(ErrorCodes.CONVERSATION_NOT_FOUND, 'There is no such conversation.');
  }
};
