export { AgentClient, type AgentClientOptions, gzipInventory } from './agent-client.ts';
export { AgentAuthError, AgentNetworkError, AgentPayloadError, AgentProtocolError, AgentRequestError } from './errors.ts';
export { isLoopback, parseServerUrl, ServerUrlError } from './server-url.ts';
