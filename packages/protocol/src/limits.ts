/**
 * Hard limits of the agent protocol. The server refuses anything over them with a 4xx before
 * storing a byte, and the agent checks them before sending, so a broken or hostile machine can
 * neither fill the database nor make the server spend unbounded memory on one message.
 */
export const PROTOCOL_LIMITS = {
  /** The HTTP body limit every agent request shares with the rest of the API (compressed size). */
  bodyBytes: 1024 * 1024,
  /** What a gzip body may inflate to: a full inventory of 50,000 packages is about 8 MB of JSON. */
  inflatedBytes: 16 * 1024 * 1024,
  packages: 50_000,
  configFacts: 500,
  services: 5_000,
  wordpressInstalls: 200,
  collectors: 64,
  /** Action output kept per stream (stdout, stderr), in characters. */
  actionOutputChars: 64 * 1024,
  actionsPerList: 50,
} as const;
