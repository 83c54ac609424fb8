/**
 * Activities about contacts: what the AI may know from the customer's earlier conversations.
 * A thin adapter around Temporal visibility and queries — a contact's conversations are the
 * workflows whose ContactId search attribute is theirs.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../lib/logger.js';
import { conversationWorkflowId, stateQuery } from '../workflows/messages.js';

export interface ContactActivityDeps {
  client: Client;
  logger: Logger;
}

/** Bounds on what is carried into every AI turn of the session. */
export const earlierSummaryLimits = { conversations: 3, characters: 400 } as const;

export function createContactActivities(deps: ContactActivityDeps) {
  return {
    /** Summaries of the contact's other, most recent conversations (newest first). */
    async loadEarlierSummaries(input: { contactId: string; conversationId: string }): Promise<string[]> {
      if (!/^ct_[0-9a-f]{24}$/.test(input.contactId)) return [];
      const self = conversationWorkflowId(input.conversationId);
      const others: Array<{ workflowId: string; startTime: Date }> = [];
      for await (const wf of deps.client.workflow.list({ query: `ContactId = '${input.contactId}'`, pageSize: 20 })) {
        if (wf.workflowId !== self) others.push({ workflowId: wf.workflowId, startTime: wf.startTime });
        if (others.length >= 20) break;
      }
      others.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
      const summaries: string[] = [];
      for (const { workflowId } of others.slice(0, earlierSummaryLimits.conversations)) {
        try {
          const state = await deps.client.workflow.getHandle(workflowId).query(stateQuery);
          if (state.summary) summaries.push(state.summary.slice(0, earlierSummaryLimits.characters));
        } catch (error) {
          deps.logger.warn({ workflowId, error: (error as Error).name }, 'earlier conversation not readable; skipped');
        }
      }
      return summaries;
    },
  };
}

export type ContactActivities = ReturnType<typeof createContactActivities>;
