/**
 * Freshchat REST API v2, as integrations see it: Bearer auth, Freshchat's JSON shapes and
 * error bodies, and the webhooks that real Freshchat sends when an API call changes something.
 */
import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../lib/logger.js';
import type { AssignmentRequest, ConversationActions } from './conversation-actions.js';
import { FreshchatError, freshchatErrorHandler, invalidValue, notFound, parseOr400, sendFreshchatError } from './errors.js';
import { faultMiddleware, type FaultRegistry } from './faults.js';
import { listPagingBlocks, pageHref, pageOf, pagingQuerySchema } from './paging.js';
import {
  agentJson, conversationJson, messageJson, userConversationJson, userJson, type Actor,
} from './representations.js';
import type { SandboxStore } from './store.js';
import type { Conversation } from './types.js';

export interface RestApiContext {
  store: SandboxStore;
  actions: ConversationActions;
  faults: FaultRegistry;
  apiToken: string;
  /** Known only once the server listens, hence a function. */
  baseUrl: () => string;
  logger: Logger;
}

/** The parts Freshchat accepts in a message; anything else is a 400. */
export const messagePartSchema = z.union([
  z.object({ text: z.object({ content: z.string().min(1) }) }),
  z.object({ image: z.object({ url: z.string().min(1) }) }),
  z.object({
    file: z.object({
      name: z.string(), url: z.string(), content_type: z.string().optional(), file_size_in_bytes: z.number().optional(),
    }),
  }),
  z.object({ url_button: z.object({ url: z.string(), label: z.string(), target: z.string().optional() }) }),
  z.object({
    quick_reply_button: z.object({ label: z.string(), custom_reply_text: z.string().optional(), payload: z.string().optional() }),
  }),
  z.object({ collection: z.object({ sub_parts: z.array(z.unknown()) }) }),
]);

const postMessageSchema = z.object({
  message_parts: z.array(messagePartSchema).min(1),
  message_type: z.enum(['normal', 'private']).default('normal'),
  actor_type: z.enum(['agent', 'bot']),
  actor_id: z.string().optional(),
});

const listMessagesQuerySchema = pagingQuerySchema(20).extend({
  from_time: z
    .string()
    .refine((value) => !Number.isNaN(Date.parse(value)), 'from_time must be an ISO-8601 time')
    .optional(),
});

/** `null` is read as `''` (no agent / no group). */
const optionalId = z.string().nullable().optional().transform((value) => (value === null ? '' : value));

const updateConversationSchema = z.object({
  status: z.enum(['new', 'assigned', 'resolved']).optional(),
  assigned_agent_id: optionalId,
  assigned_group_id: optionalId,
  properties: z.record(z.string(), z.unknown()).optional(),
});

const usersQuerySchema = z.object({
  email: z.string().optional(),
  phone: z.string().optional(),
  reference_id: z.string().optional(),
});

/** Changes made through the API are Freshchat's own doing as far as webhooks are concerned. */
const systemActor: Actor = { actor_type: 'system', actor_id: '' };

function requireBearerToken(apiToken: string): RequestHandler {
  return (req, res, next) => {
    const match = /^Bearer\s+(.+)$/i.exec(req.get('authorization')?.trim() ?? '');
    if (!match || match[1] !== apiToken) {
      sendFreshchatError(res, 401, 'Invalid or missing API token');
      return;
    }
    next();
  };
}

export function createRestApi(context: RestApiContext): Router {
  const { store, actions } = context;
  const router = express.Router();

  const conversationOr404 = (id: string): Conversation => {
    const conversation = store.findConversation(id);
    if (!conversation) throw notFound(`Conversation ${id} not found`);
    return conversation;
  };

  router.use(requireBearerToken(context.apiToken));
  // When a request arrived, before an injected delay holds it (store.apiRecord).
  router.use((_req, res, next) => {
    res.locals.arrivedAt = store.now();
    next();
  });
  router.use(faultMiddleware(context.faults));
  router.use(express.json({ limit: '1mb' }));

  router.get('/accounts/configuration', (_req, res) => {
    res.json({
      app_id: store.appId,
      account_id: store.accountId,
      organisation_id: store.organisationId,
      datacenter: 'LOCAL',
      account_domain: 'sandbox.freshchat.local',
    });
  });

  router.post('/conversations/:id/messages', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    const body = parseOr400(postMessageSchema, req.body, 'message');
    // A bot may post without an id (Freshworks' own default); an agent must be a real one.
    const actorId = body.actor_id ?? '';
    if (body.actor_type === 'agent') {
      if (!actorId) throw invalidValue('actor_id is required when actor_type is agent');
      if (!store.findAgent(actorId)) throw invalidValue(`actor_id ${actorId} is not an agent of this account`);
    }
    const message = actions.postMessage(conversation, {
      actor_type: body.actor_type,
      actor_id: actorId,
      message_type: body.message_type,
      message_parts: body.message_parts,
    });
    store.recordApiPost(conversation.conversation_id, message.id, res.locals.arrivedAt as string);
    res.status(201).json(messageJson(store, message));
  });

  router.get('/conversations/:id/messages', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    store.recordApiRead(conversation.conversation_id, 'messages');
    const query = parseOr400(listMessagesQuerySchema, req.query, 'query');
    const fromTime = query.from_time ? Date.parse(query.from_time) : undefined;
    const newestFirst = store
      .messagesOf(conversation.conversation_id)
      .reverse()
      .filter((message) => fromTime === undefined || Date.parse(message.created_time) >= fromTime);
    const page = pageOf(newestFirst, query.page, query.items_per_page);
    const path = `/v2/conversations/${encodeURIComponent(conversation.conversation_id)}/messages`;
    res.json({
      messages: page.items.map((message) => messageJson(store, message)),
      ...(page.hasNext
        ? {
            link: {
              href: pageHref(path, { page: page.page + 1, items_per_page: page.itemsPerPage, from_time: query.from_time }),
              rel: 'next',
            },
          }
        : {}),
    });
  });

  router.get('/conversations/:id', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    store.recordApiRead(conversation.conversation_id, 'conversation');
    res.json(conversationJson(store, conversation, context.baseUrl()));
  });

  router.put('/conversations/:id', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    const body = parseOr400(updateConversationSchema, req.body, 'conversation update');
    const assignment = assignmentRequestedBy(body);
    // Check everything before changing anything: a rejected PUT leaves no trace.
    if (assignment) actions.validateAssignment(assignment);
    const reopening = conversation.status === 'resolved' && body.status === 'new';

    if (body.properties) {
      conversation.properties = { ...conversation.properties, ...body.properties };
      store.touch(conversation);
    }
    // The integration acts through the REST API: Freshchat names no person as the actor (as for assign and resolve).
    if (reopening) actions.reopen(conversation, systemActor, 'agent', '');
    if (assignment) actions.assign(conversation, assignment, { actor: systemActor, assignor: 'system', assignorId: '' });
    if (body.status === 'resolved') actions.resolve(conversation, systemActor, 'system', '');
    res.json(conversationJson(store, conversation, context.baseUrl()));
  });

  router.get('/users', (req, res) => {
    const query = parseOr400(usersQuerySchema, req.query, 'query');
    const users = (query.email !== undefined ? store.findUsersByEmail(query.email) : store.listUsers()).filter(
      (user) =>
        (query.phone === undefined || user.phone === query.phone) &&
        (query.reference_id === undefined || user.reference_id === query.reference_id),
    );
    res.json({ users: users.map(userJson) });
  });

  router.get('/users/:id', (req, res) => {
    const user = store.findUser(req.params.id);
    if (!user) throw notFound(`User ${req.params.id} not found`);
    res.json(userJson(user));
  });

  router.get('/users/:id/conversations', (req, res) => {
    if (!store.findUser(req.params.id)) throw notFound(`User ${req.params.id} not found`);
    res.json({
      conversations: store.conversationsOfUser(req.params.id).map((conversation) => userConversationJson(store, conversation)),
    });
  });

  const listQuery = pagingQuerySchema(10);

  router.get('/agents', (req, res) => {
    const query = parseOr400(listQuery, req.query, 'query');
    const page = pageOf(store.listAgents(), query.page, query.items_per_page);
    res.json({ agents: page.items.map(agentJson), ...listPagingBlocks(page, '/v2/agents') });
  });

  router.get('/agents/:id', (req, res) => {
    const agent = store.findAgent(req.params.id);
    if (!agent) throw notFound(`Agent ${req.params.id} not found`);
    res.json(agentJson(agent));
  });

  router.get('/groups', (req, res) => {
    const query = parseOr400(listQuery, req.query, 'query');
    const page = pageOf(store.groups, query.page, query.items_per_page);
    res.json({ groups: page.items, ...listPagingBlocks(page, '/v2/groups') });
  });

  router.get('/channels', (req, res) => {
    const query = parseOr400(listQuery, req.query, 'query');
    const page = pageOf([store.channel], query.page, query.items_per_page);
    res.json({ channels: page.items, ...listPagingBlocks(page, '/v2/channels') });
  });

  router.use((req, _res, next) => next(new FreshchatError(404, `No API endpoint ${req.method} ${req.baseUrl}${req.path}`)));
  router.use(freshchatErrorHandler(context.logger));
  return router;
}

/**
 * Reads Freshchat's PUT conventions into an assignment, or undefined when the PUT assigns nothing:
 * - `{status:'assigned', assigned_agent_id}`: to that agent (an agent is required), group kept unless given;
 * - `{status:'new', assigned_agent_id:''}`: back to the queue;
 * - `{status:'new', assigned_group_id}`: to a group, away from its agent.
 */
function assignmentRequestedBy(body: z.output<typeof updateConversationSchema>): AssignmentRequest | undefined {
  const agentId = body.assigned_agent_id;
  const groupId = body.assigned_group_id;
  if (body.status === 'assigned') {
    if (!agentId) throw invalidValue('assigned_agent_id is required when status is assigned');
    return { agentId, groupId };
  }
  if (agentId === undefined && groupId === undefined) return undefined;
  if (body.status === 'new' && agentId) {
    throw invalidValue('status new cannot have an assigned_agent_id; use status assigned');
  }
  if (agentId) return { agentId, groupId };
  // To the queue or to a group: nobody holds it afterwards.
  return { agentId: '', groupId };
}
