/**
 * Activities for the AI side: the session policy from the settings file, and one AI turn.
 * The AI turn reads the session transcript from Freshchat itself, so workflow history grows
 * by the same few payloads per turn however long the conversation is.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { AiDecisionSchema } from '../ai/decision-schema.js';
import type { AiDecision } from '../workflow-safe/decision.js';
import type { Logger } from '../lib/logger.js';
import type { FreshchatClient } from '../freshchat/client.js';
import { AiProviderError, type AiProvider, type TranscriptEntry } from '../ai/provider.js';
import { detectLanguage } from '../lib/language-detection.js';
import type { AssistantSettings } from '../settings/assistant-settings.js';
import type { SettingsSource } from '../settings/settings-source.js';
import { failureTypes, toApplicationFailure, type DomainFailure } from '../workflow-safe/failures.js';
import { recordAiLatency } from './activity-metrics.js';
import { toActivityFailure } from './freshchat-activities.js';
import { readSessionTranscript } from './transcript.js';
import { retrievalTextOf } from '../ai/faq-provider.js';
import { citationsOf } from '../knowledge/knowledge-library.js';
import type { Citation, RetrievedChunk } from '../knowledge/types.js';
import type { ToolSettings } from '../settings/tool-schema.js';
import type { ToolCallRequest, ToolPolicy, ToolStep } from '../workflow-safe/tool-calls.js';

export interface AssistantActivityDeps {
  provider: AiProvider;
  client: FreshchatClient;
  /** The settings file as it is now: each new session's policy follows it. */
  settings: SettingsSource;
  routingMode: 'auto' | 'assigned-only';
  /** Resolves the AI agent's Freshchat id (shared with the Freshchat activities' cache). */
  aiAgentId: () => Promise<string>;
  /** Retrieval over the synced knowledge: the chunks the AI may answer from. */
  retrieve: (text: string, k: number) => Promise<RetrievedChunk[]>;
  logger: Logger;
  /** How often a running AI call heartbeats, which is how a takeover's cancellation reaches it. */
  heartbeatEveryMs?: number;
  /** The tools this worker runs (its start-up settings: a tool's activity is registered at start). */
  tools?: ToolSettings[];
  /** Checks a tool call's arguments against the tool's input schema: a problem, or undefined. */
  argumentProblem?: (tool: string, args: Record<string, unknown>) => string | undefined;
}

/** The parts of the settings the workflow needs to run a session (no secrets, no knowledge base). */
export interface SessionPolicy {
  routingMode: 'auto' | 'assigned-only';
  aiAgentId: string;
  quietWindowMs: number;
  inactivityMs: number;
  nudge: boolean;
  topics: AssistantSettings['topics'];
  handoff: AssistantSettings['handoff'];
  officeHours: AssistantSettings['officeHours'];
  defaultLanguage: string;
  /** The tools the AI may call and how a turn uses them (absent in policies from before tools). */
  tools?: ToolPolicy[];
  actions?: { maxToolCallsPerTurn: number; approvalTimeoutMs: number };
}

export interface AiTurnRequest {
  conversationId: string;
  sessionStartedAt: string;
  /** The conversation's language so far: detection on the transcript sticks to it unless clearly different. */
  language: string;
  earlierSummaries?: string[];
  /** The tool calls this turn made so far (absent: none). */
  steps?: ToolStep[];
  /** False at the turn's limit of tool calls: the AI must decide. */
  mayCallTools?: boolean;
}

/** The AI asks for a tool before it decides; the workflow runs it (or asks a rep) and asks again. */
export interface AiToolCallOutcome {
  toolCall: ToolCallRequest;
  model: string;
  latencyMs: number;
  language: string;
}

export type AiStepOutcome = AiTurnOutcome | AiToolCallOutcome;

export interface AiTurnOutcome {
  decision: AiDecision;
  /** The article ids the answer used (among those retrieved). */
  sources: string[];
  /** Those articles' titles and URLs, for the notes: no article text ever reaches the workflow. Absent from outcomes of older workers. */
  citations?: Citation[];
  model: string;
  latencyMs: number;
  language: string;
}

/**
 * The AI gets this many attempts. The activity as a whole runs with Freshchat's retry policy
 * (it reads the transcript from Freshchat, whose 5xx deserve the same patience everywhere),
 * so AI failures are made final here, at the AI's own limit.
 */
export const aiAttempts = 3;

export function createAssistantActivities(deps: AssistantActivityDeps) {
  const { provider, client, logger } = deps;
  const tools = deps.tools ?? [];

  async function readTranscript(conversationId: string, since: string, signal: AbortSignal): Promise<TranscriptEntry[]> {
    const aiAgentId = await deps.aiAgentId();
    try {
      return await readSessionTranscript(client, { conversationId, since, aiAgentId }, signal);
    } catch (error) {
      throw toActivityFailure(error);
    }
  }

  return {
    async loadSessionPolicy(): Promise<SessionPolicy> {
      const settings = deps.settings.current();
      return {
        routingMode: deps.routingMode,
        aiAgentId: await deps.aiAgentId(),
        quietWindowMs: settings.conversation.quietWindowSeconds * 1000,
        inactivityMs: settings.conversation.inactivitySeconds * 1000,
        nudge: settings.conversation.nudge,
        topics: settings.topics,
        handoff: settings.handoff,
        officeHours: settings.officeHours,
        defaultLanguage: settings.messages.defaultLanguage,
        ...(tools.length > 0 && {
          tools: tools.map((t) => ({ name: t.name, approval: t.approval, timeoutSeconds: t.timeoutSeconds })),
          actions: { maxToolCallsPerTurn: settings.actions.maxToolCallsPerTurn, approvalTimeoutMs: settings.actions.approvalTimeoutMinutes * 60_000 },
        }),
      };
    },

    /**
     * One AI turn. Heartbeats while the AI thinks so that a takeover's cancellation arrives,
     * and aborts the AI's HTTP call through the activity's AbortSignal when it does.
     */
    async decideNextStep(request: AiTurnRequest): Promise<AiStepOutcome> {
      const context = Context.current();
      const started = Date.now();
      const heartbeat = setInterval(() => context.heartbeat(), deps.heartbeatEveryMs ?? 500);
      try {
        context.heartbeat();
        const transcript = await readTranscript(request.conversationId, request.sessionStartedAt, context.cancellationSignal);
        const customerText = transcript.filter((t) => t.role === 'customer').map((t) => t.text).join('\n');
        const settings = deps.settings.current();
        const language = detectLanguage(customerText, request.language || settings.messages.defaultLanguage);
        const knowledge = await deps.retrieve(retrievalTextOf(transcript), settings.knowledge.topK);
        const toolInput = tools.length > 0 ? { tools, steps: request.steps ?? [], mayCallTools: request.mayCallTools ?? true } : {};
        const result = await provider.decide({ transcript, earlierSummaries: request.earlierSummaries ?? [], language, knowledge, ...toolInput }, context.cancellationSignal);
        if ('toolCall' in result) {
          const call = result.toolCall;
          const invalid = call.invalid ?? deps.argumentProblem?.(call.tool, call.arguments);
          const latencyMs = Date.now() - started;
          logger.info({ conversationId: request.conversationId, tool: call.tool, valid: !invalid, latencyMs, model: result.model }, 'AI asked for a tool');
          return { toolCall: { ...call, ...(invalid && { invalid }) }, model: result.model, latencyMs, language };
        }
        const citations = citationsOf(result.sources, knowledge);
        const parsed = AiDecisionSchema.parse(result.decision);
        const decision = settings.knowledge.linkBestArticle ? withLinkTo(citations[0], parsed) : parsed;
        const latencyMs = Date.now() - started;
        recordAiLatency(latencyMs, decision.action);
        logger.info(
          { conversationId: request.conversationId, action: decision.action, topic: decision.topic, confidence: decision.confidence, latencyMs, model: result.model },
          'AI decided',
        );
        return { decision, sources: citations.map((c) => c.articleId), citations, model: result.model, latencyMs, language };
      } catch (error) {
        if (context.cancellationSignal.aborted) {
          logger.info({ conversationId: request.conversationId }, 'AI turn cancelled');
          throw new CancelledFailure('AI turn cancelled: a human took over');
        }
        // Freshchat's failures (reading the transcript, the AI agent's id) keep Freshchat's type.
        if (error instanceof ApplicationFailure) throw error;
        throw toAiFailure(error, context.info.attempt);
      } finally {
        clearInterval(heartbeat);
      }
    },
  };
}

export type AssistantActivities = ReturnType<typeof createAssistantActivities>;

/** knowledge.linkBestArticle: a reply ends with the link of the article it used most. */
function withLinkTo(best: Citation | undefined, decision: AiDecision): AiDecision {
  if (!best?.url || decision.action !== 'reply' || !decision.reply || decision.reply.includes(best.url)) return decision;
  const reply = `${decision.reply}\n\n${best.title}: ${best.url}`;
  return reply.length <= 4000 ? { ...decision, reply } : decision;
}

/** Every failure of the AI itself (provider errors, invalid decisions, bugs) is final from attempt `aiAttempts` on. */
function toAiFailure(error: unknown, attempt: number): ApplicationFailure {
  const domain: DomainFailure =
    error instanceof AiProviderError
      ? error
      : { message: error instanceof Error ? error.message : String(error), failureType: failureTypes.ai, retryable: true, code: 'AI_FAILURE' };
  return toApplicationFailure(domain, { final: attempt >= aiAttempts });
}
