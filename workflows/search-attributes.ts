import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * The custom search attributes every conversation workflow sets, so ops can find
 * conversations in the Web UI and with `temporal workflow list --query`. Values are ids and
 * enums only: search attributes are indexed in plain text and never encrypted.
 */
export const searchAttributes = {
  conversationId: defineSearchAttributeKey('FreshchatConversationId', 'KEYWORD'),
  state: defineSearchAttributeKey('ConversationState', 'KEYWORD'),
  contactId: defineSearchAttributeKey('ContactId', 'KEYWORD'),
  sentiment: defineSearchAttributeKey('CustomerSentiment', 'KEYWORD'),
  resolvedBy: defineSearchAttributeKey('ResolvedBy', 'KEYWORD'),
  resolutionKind: defineSearchAttributeKey('ResolutionKind', 'KEYWORD'),
  handoffRule: defineSearchAttributeKey('HandoffRule', 'KEYWORD'),
  freshchatError: defineSearchAttributeKey('FreshchatError', 'KEYWORD'),
  session: defineSearchAttributeKey('SessionNumber', 'INT'),
} as const;

/** `Name=Type` pairs for `temporal operator search-attribute create`. */
export const searchAttributeDefinitions: Array<{ name: string; type: 'Keyword' | 'Int' }> = Object.values(searchAttributes).map((key) => ({
  name: key.name,
  type: key.type === 'INT' ? 'Int' : 'Keyword',
}));
