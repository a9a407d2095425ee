/** Where the agent reports what it does: one line per event (systemd's journal adds the time). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function streamLogger(stream: { write(text: string): unknown }): Logger {
  const line = (level: string) => (message: string) => {
    stream.write(`vigil-agent ${level}: ${message}\n`);
  };
  return { info: line('info'), warn: line('warn'), error: line('error') };
}
