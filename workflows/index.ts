export { conversationWorkflow } from './conversation-workflow.js';
