/**
 * Tool calls in an AI turn, as the workflow, the activities and the providers share them. Pure
 * (workflow-safe): no I/O, no secrets. A turn is a bounded loop of model calls and tool calls;
 * each tool call is one step, numbered from 1 within the turn.
 */

/** What the workflow knows of a configured tool: no URL, no headers (those stay in the worker). */
export interface ToolPolicy {
  name: string;
  approval: 'none' | 'rep';
  timeoutSeconds: number;
}

/** The model asked to call a tool. `reason` is the model's own words for the rep (approval notes). */
export interface ToolCallRequest {
  tool: string;
  arguments: Record<string, unknown>;
  reason: string;
  /** Set when the arguments do not match the tool's input schema (the call does not run). */
  invalid?: string;
}

export type ToolCallOutcome = 'ok' | 'failed' | 'invalid_arguments' | 'declined' | 'timed_out' | 'cancelled';

/** One step of a turn, fed back to the model at its next call: the picked fields, or why there are none. */
export interface ToolStep {
  tool: string;
  arguments: Record<string, unknown>;
  outcome: ToolCallOutcome;
  /** The response fields the settings let through (outcome 'ok'). */
  result?: Record<string, unknown>;
  /** A code saying what went wrong (TOOL_HTTP_ERROR, TOOL_RESPONSE_TOO_LARGE, ...). */
  error?: string;
}

/** What the decision record and the notes keep of a tool call: never its arguments or response. */
export interface ToolCallRecord {
  tool: string;
  outcome: ToolCallOutcome;
  latencyMs?: number;
  /** 'rep:<agent id>' or 'ops' for an approved (or declined) action. */
  decidedBy?: string;
  error?: string;
}

/** What a tool activity receives: the idempotency key is the workflow's, so every retry sends the same one. */
export interface ToolCallInput {
  arguments: Record<string, unknown>;
  idempotencyKey: string;
}

export interface ToolCallResult {
  result: Record<string, unknown>;
  status: number;
  latencyMs: number;
}

export const toolActivityName = (tool: string): string => `tool:${tool}`;

/**
 * The Idempotency-Key of a tool call: workflow id, session, turn and step, and the workflow
 * chain's first run id (a conversation's workflow that closed after a month of quiet starts
 * again at session 1). The same on every attempt of the activity and on a replay (and after an
 * ops reset), different for every other call.
 */
export function idempotencyKeyOf(call: { workflowId: string; chainId: string; session: number; turn: number; step: number }): string {
  return `${call.workflowId}:${call.chainId}:s${call.session}:t${call.turn}:c${call.step}`;
}

/** A tool's activity as the workflow calls it. */
export type ToolActivity = (input: ToolCallInput) => Promise<ToolCallResult>;

/** A rep's verdict on a pending action, from a private note (`/approve`, `/decline <reason>`) or an ops update. */
export type ActionVerdict = { verdict: 'approve'; by: string } | { verdict: 'decline'; by: string; reason: string };

/** The longest decline reason kept (it lands in notes and history). */
export const maxDeclineReasonLength = 300;

/**
 * A private note that is a command: `/approve` or `/decline <reason>` at its start (case
 * ignored). Anything else (a note that quotes the commands in its middle, as the approval
 * request does) is not one.
 */
export function parseApprovalCommand(text: string): { verdict: 'approve' } | { verdict: 'decline'; reason: string } | undefined {
  const match = /^\s*\/(approve|decline)\b[ \t]*([\s\S]*)$/i.exec(text);
  if (!match) return undefined;
  if (match[1]!.toLowerCase() === 'approve') return { verdict: 'approve' };
  return { verdict: 'decline', reason: match[2]!.trim().replace(/\s+/g, ' ').slice(0, maxDeclineReasonLength) };
}
