import { createSign, randomUUID, type KeyObject } from 'node:crypto';

/** A customer's `message_create` webhook body as Freshchat sends it; ids are fresh unless given. */
export function customerMessagePayload(ids: { conversationId?: string; userId?: string; messageId?: string } = {}, text = 'Where is my order?') {
  const userId = ids.userId ?? randomUUID();
  return {
    actor: { actor_type: 'user', actor_id: userId },
    action: 'message_create',
    action_time: new Date().toISOString(),
    data: {
      message: {
        id: ids.messageId ?? randomUUID(),
        conversation_id: ids.conversationId ?? randomUUID(),
        actor_type: 'user',
        actor_id: userId,
        user_id: userId,
        message_parts: [{ text: { content: text } }],
        created_time: new Date().toISOString(),
      },
    },
  };
}

/** Freshchat's X-Freshchat-Signature: RSA-SHA256 over the exact body bytes, base64. */
export function signWebhookBody(body: string | Buffer, privateKey: KeyObject): string {
  return createSign('RSA-SHA256').update(body).sign(privateKey, 'base64');
}
