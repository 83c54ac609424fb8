import type { FreshchatClient } from '../freshchat/client.js';
import { describeMessageParts } from '../freshchat/message-parts.js';
import type { TranscriptEntry } from '../ai/provider.js';
import { boundCustomerText } from '../workflow-safe/text.js';

/** The most transcript one read takes: a bound on prompt and note size, not on history. */
export const transcriptLimit = 50;

/**
 * The session's messages as the AI and the notes read them: customer, AI and rep messages
 * (no private notes, no system messages), oldest first, each bounded like a webhook's text.
 * Throws FreshchatApiError; the caller turns it into the activity failure taxonomy.
 */
export async function readSessionTranscript(
  client: FreshchatClient,
  request: { conversationId: string; since: string; aiAgentId: string },
  signal?: AbortSignal,
): Promise<TranscriptEntry[]> {
  const messages = await client.listRecentMessages(request.conversationId, request.since, transcriptLimit, signal);
  return messages
    .filter((m) => (m.message_type ?? 'normal') === 'normal' && (m.actor_type === 'user' || m.actor_type === 'agent'))
    .map((m) => ({
      role: m.actor_type === 'user' ? ('customer' as const) : m.actor_id === request.aiAgentId ? ('ai' as const) : ('rep' as const),
      text: boundCustomerText(describeMessageParts(m.message_parts ?? [])),
      at: m.created_time,
    }))
    .reverse(); // Freshchat lists newest first; the AI reads oldest first.
}
