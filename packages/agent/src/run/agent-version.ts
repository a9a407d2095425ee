import agentPackage from '../../package.json' with { type: 'json' };

/** The agent's version: its package.json's, inlined into the bundle by esbuild. */
export const AGENT_VERSION: string = agentPackage.version;
