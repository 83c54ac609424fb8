export { conversationWorkflow } from './conversation-workflow.js';
export { workerProbeWorkflow } from './worker-probe.js';
export { knowledgeSyncWorkflow } from './knowledge-sync-workflow.js';
