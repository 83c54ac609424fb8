export { conversationWorkflow } from './conversation-workflow.js';
export { workerProbeWorkflow } from './worker-probe.js';
