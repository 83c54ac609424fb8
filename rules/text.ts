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
