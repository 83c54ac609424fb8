/**
 * How long a server asked us to wait, in milliseconds: `retry-after-ms` (Azure OpenAI) or
 * `Retry-After` (seconds, possibly fractional, or an HTTP date). Undefined when absent or
 * unreadable. The one parser for Freshchat's and the AI endpoint's answers.
 */
export function retryAfterMsOf(headers: Record<string, string | string[] | undefined>, now: number = Date.now()): number | undefined {
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value)?.trim();
  const ms = first(headers['retry-after-ms']);
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  const retryAfter = first(headers['retry-after']);
  if (!retryAfter) return undefined;
  if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
