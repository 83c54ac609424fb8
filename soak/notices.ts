import { replyMarker } from './ai-stub.js';
import type { AiMessageKind } from './checks.js';

/** The customer-facing words, marked so that the checks can tell them apart from replies. */
export const notices = {
  handoff: '[soak-handoff] A member of our team will be with you shortly.',
  afterHours: '[soak-handoff] Our team is away; someone will get back to you {nextOpening}.',
  closing: "[soak-closing] Since we haven't heard back, I'm closing this chat for now.",
  nudge: '[soak-nudge] Are you still there?',
};

export function kindOfAiText(text: string): AiMessageKind {
  if (text.startsWith(replyMarker)) return 'reply';
  if (text.startsWith('[soak-handoff]')) return 'handoff_notice';
  if (text.startsWith('[soak-nudge]')) return 'nudge';
  if (text.startsWith('[soak-closing]')) return 'closing';
  return 'other';
}

