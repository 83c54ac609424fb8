import { guessLanguages } from '../lib/language-detection.js';
import type { LanguageGuess } from '../workflow-safe/language.js';
import { boundCustomerText } from '../workflow-safe/text.js';

/**
 * A Freshchat message's parts (shared/freshchat-api.md: text, email, image, file, collection,
 * buttons, and old accounts' `properties.text`) as the one text the product reads: the
 * webhook's customer events, the AI's transcript and the post-once lookup all use it.
 */
export interface MessagePart {
  text?: { content?: string };
  properties?: { text?: string };
  email?: { content?: string; subject?: string };
  image?: unknown;
  file?: { name?: string };
  collection?: unknown;
  quick_reply_buttons?: unknown;
  url_button?: unknown;
}

/** Text parts as they are; other parts as a short description the AI can read. */
export function describeMessageParts(parts: readonly MessagePart[]): string {
  const lines = parts.map((part) => {
    if (part.text?.content !== undefined) return part.text.content;
    if (part.properties?.text !== undefined) return part.properties.text;
    if (part.email) return [part.email.subject, part.email.content].filter(Boolean).join('\n');
    if (part.image) return '[the customer sent an image]';
    if (part.file) return `[the customer sent a file${part.file.name ? `: ${part.file.name}` : ''}]`;
    if (part.collection) return '[the customer sent a collection of items]';
    if (part.quick_reply_buttons || part.url_button) return '[the customer used a button]';
    return '[the customer sent something that is not text]';
  });
  return lines.join('\n').trim();
}

/**
 * A customer's message as the conversation workflow receives it (from the webhook, or read
 * back from Freshchat): its text, bounded, and the languages that text may be in.
 */
export function customerMessageWords(parts: readonly MessagePart[]): { text: string; languages: LanguageGuess[] } {
  const text = boundCustomerText(describeMessageParts(parts));
  return { text, languages: guessLanguages(text) };
}
