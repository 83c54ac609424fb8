/**
 * Text folding shared by the rules and the FAQ provider. Pure (workflow-safe).
 *
 * Customers type "Agént", "AGENT" and "agent" for the same thing, and phones turn "'" into
 * "’". Folding makes those equal before matching: lower case, accents removed, typographic
 * apostrophes made plain, runs of white space collapsed.
 */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[’‘`´]/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/** Escapes a string for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The most characters of one customer message that reach the workflow, its history and the
 * AI's prompt. A pasted image or log can be megabytes; nothing a customer types needs more.
 */
export const maxCustomerTextChars = 4000;

/**
 * `text` cut to at most `maxChars` UTF-16 units, never inside a surrogate pair. Linear in
 * `maxChars`, whatever the length of `text`.
 */
export function cutText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const end = maxChars > 0 && isHighSurrogate(text.charCodeAt(maxChars - 1)) ? maxChars - 1 : maxChars;
  return text.slice(0, end);
}

/** A customer message bounded to `maxCustomerTextChars`, the rest replaced by a marker that says how much was cut. */
export function boundCustomerText(text: string): string {
  if (text.length <= maxCustomerTextChars) return text;
  const kept = cutText(text, maxCustomerTextChars);
  return `${kept} [… ${text.length - kept.length} more characters cut]`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
