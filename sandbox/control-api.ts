/**
 * The sandbox's own API (no auth): plays the customer and the reps in Freshchat's UI,
 * shows what happened (state, webhook deliveries) and arms faults. Used by the page and by tests.
 * Also changes the help center the way its editors would (for tests of incremental sync), and
 * shows and sets up the sample shop (its orders, refunds and the requests its API answered).
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../lib/logger.js';
import type { AssignmentRequest, ConversationActions } from './conversation-actions.js';
import { freshchatErrorHandler, invalidValue, notFound, parseOr400 } from './errors.js';
import { faultSpecSchema, type FaultRegistry } from './faults.js';
import { articleJson } from './freshdesk-api.js';
import { MAX_GENERATED_PER_CALL, type HelpCenterStore } from './help-center-store.js';
import { agentJson, conversationJson, messageJson, userJson, type Actor } from './representations.js';
import type { ShopStore } from './shop-store.js';
import type { SandboxStore } from './store.js';
import type { Conversation, MessagePart } from './types.js';
import type { WebhookSender } from './webhook-sender.js';

export interface ControlApiContext {
  store: SandboxStore;
  actions: ConversationActions;
  webhooks: WebhookSender;
  faults: FaultRegistry;
  helpCenter: HelpCenterStore;
  shop: ShopStore;
  publicKeyOneLine: string;
  baseUrl: () => string;
  logger: Logger;
}

const createUserSchema = z.object({
  email: z.string().optional(),
  first_name: z.string().optional(),
  last_name: z.string().optional(),
  phone: z.string().optional(),
  reference_id: z.string().optional(),
});

const createConversationSchema = z.object({ user_id: z.string().min(1), text: z.string().min(1).optional() });

const customerMessageSchema = z
  .object({ text: z.string().min(1).optional(), image_url: z.string().min(1).optional() })
  .refine((body) => body.text !== undefined || body.image_url !== undefined, { message: 'text or image_url is required' });

const agentMessageSchema = z.object({
  agent_id: z.string().min(1),
  text: z.string().min(1),
  message_type: z.enum(['normal', 'private']).default('normal'),
});

/** Freshchat's automated messages; `actor_type`/`actor_id` can imitate a greeting sent under another name. */
const systemMessageSchema = z.object({
  text: z.string().min(1),
  actor_type: z.enum(['system', 'bot', 'agent']).default('system'),
  actor_id: z.string().default(''),
});

const assignSchema = z
  .object({ agent_id: z.string().optional(), group_id: z.string().optional(), assignor_id: z.string().optional() })
  .refine((body) => body.agent_id !== undefined || body.group_id !== undefined, {
    message: 'agent_id (\'\' = to the queue) or group_id is required',
  });

const resolveSchema = z.object({ agent_id: z.string().min(1).optional() });

const reopenSchema = z.object({ by: z.enum(['user', 'agent']).default('agent'), agent_id: z.string().min(1).optional() });

const articleEditSchema = z
  .object({ title: z.string().min(1).optional(), body: z.string().min(1).optional() })
  .refine((edit) => edit.title !== undefined || edit.body !== undefined, { message: 'title or body (Markdown) is required' });

const generateArticlesSchema = z.object({ count: z.number().int().min(1).max(MAX_GENERATED_PER_CALL) });

/** Any fields besides the number: a test may make an order whose answer is huge, or oddly shaped. */
const shopOrderSchema = z.looseObject({
  orderNumber: z.string().regex(/^[A-Za-z0-9-]{1,32}$/, { error: 'must be 1 to 32 letters, digits or -' }),
});

/** Above the 1 MB of the other routes: tests of the product's response-size limit post big orders. */
const SHOP_ORDER_BODY_LIMIT = '20mb';

const textPart = (content: string): MessagePart => ({ text: { content } });

export function createControlApi(context: ControlApiContext): Router {
  const { store, actions, webhooks, faults } = context;
  const router = express.Router();
  // Parsed here first, so the general 1 MB parser below leaves the body alone.
  router.use('/shop/orders', express.json({ limit: SHOP_ORDER_BODY_LIMIT }));
  router.use(express.json({ limit: '1mb' }));

  const conversationOr404 = (id: string): Conversation => {
    const conversation = store.findConversation(id);
    if (!conversation) throw notFound(`Conversation ${id} not found`);
    return conversation;
  };
  const agentOr400 = (id: string, field: string) => {
    const agent = store.findAgent(id);
    if (!agent) throw invalidValue(`${field} ${id} is not an agent of this account`);
    return agent;
  };
  const conversationOut = (conversation: Conversation) => conversationJson(store, conversation, context.baseUrl());

  router.post('/users', (req, res) => {
    const body = parseOr400(createUserSchema, req.body, 'user');
    res.status(201).json(userJson(store.createUser(body)));
  });

  router.post('/conversations', (req, res) => {
    const body = parseOr400(createConversationSchema, req.body, 'conversation');
    if (!store.findUser(body.user_id)) throw invalidValue(`user_id ${body.user_id} is not a user`);
    const conversation = store.createConversation(body.user_id);
    const message = body.text ? actions.postCustomerMessage(conversation, [textPart(body.text)]) : undefined;
    res.status(201).json({
      conversation_id: conversation.conversation_id,
      ...(message ? { message_id: message.id } : {}),
      conversation: conversationOut(conversation),
    });
  });

  router.get('/conversations/:id', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    res.json({
      conversation: conversationOut(conversation),
      messages: store.messagesOf(conversation.conversation_id).map((message) => messageJson(store, message)),
    });
  });

  // What the integration read and posted through the REST API, and when (SandboxStore.apiRecord).
  router.get('/conversations/:id/api-record', (req, res) => {
    res.json(store.apiRecord(conversationOr404(req.params.id).conversation_id));
  });

  router.post('/conversations/:id/customer-messages', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    const body = parseOr400(customerMessageSchema, req.body, 'customer message');
    const parts: MessagePart[] = [];
    if (body.text) parts.push(textPart(body.text));
    if (body.image_url) parts.push({ image: { url: body.image_url } });
    res.status(201).json(messageJson(store, actions.postCustomerMessage(conversation, parts)));
  });

  // A rep writes in Freshchat's UI. Writing does not change the assignment (it doesn't in Freshchat).
  router.post('/conversations/:id/agent-messages', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    const body = parseOr400(agentMessageSchema, req.body, 'agent message');
    agentOr400(body.agent_id, 'agent_id');
    const message = actions.postMessage(conversation, {
      actor_type: 'agent', actor_id: body.agent_id, message_type: body.message_type, message_parts: [textPart(body.text)],
    });
    res.status(201).json(messageJson(store, message));
  });

  router.post('/conversations/:id/system-messages', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    const body = parseOr400(systemMessageSchema, req.body, 'system message');
    const message = actions.postMessage(conversation, {
      actor_type: body.actor_type, actor_id: body.actor_id, message_type: 'normal', message_parts: [textPart(body.text)],
    });
    res.status(201).json(messageJson(store, message));
  });

  // A rep or admin reassigns in the UI: the webhook's actor is that person.
  router.post('/conversations/:id/assign', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    const body = parseOr400(assignSchema, req.body, 'assignment');
    if (body.assignor_id) agentOr400(body.assignor_id, 'assignor_id');
    const request: AssignmentRequest =
      body.agent_id !== undefined ? { agentId: body.agent_id, groupId: body.group_id } : { agentId: '', groupId: body.group_id };
    const assignorId = body.assignor_id ?? body.agent_id ?? '';
    const sent = actions.assign(conversation, request, {
      actor: { actor_type: 'agent', actor_id: assignorId }, assignor: 'agent', assignorId,
    });
    res.json({ conversation: conversationOut(conversation), webhook_sent: sent });
  });

  router.post('/conversations/:id/resolve', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    const body = parseOr400(resolveSchema, req.body, 'resolution');
    let sent: boolean;
    if (body.agent_id) {
      agentOr400(body.agent_id, 'agent_id');
      sent = actions.resolve(conversation, { actor_type: 'agent', actor_id: body.agent_id }, 'agent', body.agent_id);
    } else {
      sent = actions.resolve(conversation, { actor_type: 'system', actor_id: '' }, 'system', '');
    }
    res.json({ conversation: conversationOut(conversation), webhook_sent: sent });
  });

  router.post('/conversations/:id/reopen', (req, res) => {
    const conversation = conversationOr404(req.params.id);
    const body = parseOr400(reopenSchema, req.body, 'reopen');
    if (body.agent_id) agentOr400(body.agent_id, 'agent_id');
    const actor: Actor =
      body.by === 'user'
        ? { actor_type: 'user', actor_id: conversation.user_id }
        : { actor_type: 'agent', actor_id: body.agent_id ?? '' };
    const sent = actions.reopen(conversation, actor, body.by, actor.actor_id);
    res.json({ conversation: conversationOut(conversation), webhook_sent: sent });
  });

  router.get('/state', (_req, res) => {
    res.json({
      app_id: store.appId,
      channel_id: store.channel.id,
      ai_agent_id: store.aiAgent.id,
      // The page says where webhooks go (or that they go nowhere: a newcomer's first question).
      webhook_url: webhooks.url ?? null,
      agents: [store.aiAgent, ...store.reps].map(agentJson),
      groups: store.groups,
      users: store.listUsers().map(userJson),
      conversations: store
        .listConversations()
        .sort((a, b) => b.updated_time.localeCompare(a.updated_time))
        .map(conversationOut),
    });
  });

  router.get('/webhooks', (req, res) => {
    const conversationId = typeof req.query.conversation_id === 'string' ? req.query.conversation_id : undefined;
    res.json(webhooks.list(conversationId));
  });

  router.post('/webhooks/:deliveryId/redeliver', async (req, res) => {
    res.json(await webhooks.redeliver(req.params.deliveryId));
  });

  router.post('/faults', (req, res) => {
    const fault = faults.add(parseOr400(faultSpecSchema, req.body, 'fault'));
    res.status(201).json({ id: fault.id });
  });

  router.get('/faults', (_req, res) => {
    res.json(faults.list());
  });

  // Answers JSON (not 204) so that clients parsing every answer as JSON don't trip.
  router.delete('/faults', (_req, res) => {
    res.json({ cleared: faults.clear() });
  });

  const { helpCenter } = context;

  router.get('/help-center', (_req, res) => {
    res.json({
      categories: helpCenter.categories.length,
      folders: helpCenter.folders.length,
      articles: helpCenter.listArticles().map((article) => ({
        id: article.id, title: article.title, folder_id: article.folderId, status: article.status,
        language: article.language, updated_at: article.updatedAt,
      })),
    });
  });

  // An editor changes an article: updated_at moves forward, as it does in Freshdesk.
  router.patch('/help-center/articles/:id', (req, res) => {
    const edit = parseOr400(articleEditSchema, req.body, 'article edit');
    res.json(articleJson(helpCenter.edit(req.params.id, { title: edit.title, markdown: edit.body })));
  });

  router.delete('/help-center/articles/:id', (req, res) => {
    res.json({ deleted: helpCenter.delete(req.params.id).id });
  });

  router.post('/help-center/articles/:id/publish', (req, res) => {
    res.json(articleJson(helpCenter.setStatus(req.params.id, 'published')));
  });

  router.post('/help-center/articles/:id/unpublish', (req, res) => {
    res.json(articleJson(helpCenter.setStatus(req.params.id, 'draft')));
  });

  // Synthetic articles for sync benchmarks; the same ones, in the same order, after every reset.
  router.post('/help-center/folders/:id/generate', (req, res) => {
    const { count } = parseOr400(generateArticlesSchema, req.body, 'generate request');
    const created = helpCenter.generate(req.params.id, count);
    res.status(201).json({ created: created.length, first_id: created[0]!.id, last_id: created[created.length - 1]!.id });
  });

  router.post('/help-center/reset', (_req, res) => {
    helpCenter.reset();
    res.json({ articles: helpCenter.listArticles().length });
  });

  const { shop } = context;

  router.get('/shop', (_req, res) => {
    res.json({ orders: shop.listOrders(), requests: shop.requests, refunds: shop.refunds });
  });

  // Adds the order, or replaces the one with the same number (201 when new, 200 when replaced).
  router.post('/shop/orders', (req, res) => {
    const order = parseOr400(shopOrderSchema, req.body, 'shop order');
    const created = shop.putOrder(order);
    res.status(created ? 201 : 200).json(shop.findOrder(order.orderNumber));
  });

  router.post('/shop/reset', (_req, res) => {
    shop.reset();
    res.json({ orders: shop.listOrders().length });
  });

  router.get('/public-key', (_req, res) => {
    res.type('text/plain').send(context.publicKeyOneLine);
  });

  router.use((req, _res, next) => next(notFound(`No sandbox endpoint ${req.method} ${req.baseUrl}${req.path}`)));
  router.use(freshchatErrorHandler(context.logger));
  return router;
}
