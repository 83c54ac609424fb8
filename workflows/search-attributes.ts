import { defineSearchAttributeKey, type SearchAttributeUpdatePair } from '@temporalio/common';
import type { ConversationStateView } from './messages.js';

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

/** Every search attribute's value, derived from the conversation's state in this one place. */
export function searchAttributesOf(view: ConversationStateView): SearchAttributeUpdatePair[] {
  return [
    { key: searchAttributes.conversationId, value: view.conversationId },
    { key: searchAttributes.state, value: view.state },
    { key: searchAttributes.contactId, value: view.contactId ?? '' },
    { key: searchAttributes.sentiment, value: view.sentiment ?? '' },
    { key: searchAttributes.resolvedBy, value: view.resolvedBy ?? '' },
    { key: searchAttributes.resolutionKind, value: view.resolutionKind ?? '' },
    { key: searchAttributes.handoffRule, value: view.escalationRule ?? '' },
    { key: searchAttributes.freshchatError, value: view.lastError ? `${view.lastError.activity}:${view.lastError.status ?? view.lastError.code}` : '' },
    { key: searchAttributes.session, value: view.session },
  ];
}
