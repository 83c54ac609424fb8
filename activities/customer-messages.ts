import type { MessageKind, Messages } from '../settings/schema.js';

/**
 * The customer-facing words from the settings file, in the customer's language where the
 * file has it. Pure (workflow-safe).
 *
 * Choice of variant: the exact language ('de-AT'), then its base language ('de'), then the
 * variant keyed by `defaultLanguage`, then `default`. Keys are compared case-insensitively.
 * `{name}` placeholders are filled from `vars`; unknown placeholders are left as written, so a
 * typo in the settings file shows up in the chat instead of silently vanishing.
 */
export function customerMessage(
  messages: Messages,
  kind: MessageKind,
  language: string,
  vars: Record<string, string> = {},
): string {
  const variants = messages[kind];
  const text =
    variantFor(variants, language) ??
    variantFor(variants, language.split('-')[0] ?? '') ??
    variantFor(variants, messages.defaultLanguage) ??
    variants.default;
  return text.replace(/\{(\w+)\}/g, (placeholder, name: string) => vars[name] ?? placeholder);
}

function variantFor(variants: Record<string, string>, language: string): string | undefined {
  const wanted = language.trim().toLowerCase();
  if (!wanted || wanted === 'default') return undefined;
  const key = Object.keys(variants).find((k) => k.toLowerCase() === wanted);
  return key === undefined ? undefined : variants[key];
}
