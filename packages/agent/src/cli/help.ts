export const HELP = `vigil-agent: reports this server's inventory to Vigil and runs the actions a human approved there.

Usage:
  vigil-agent enroll --server URL --token ENROLL_TOKEN [--name NAME] [--force] [--insecure-http]
                     [--lockfile-path PATH]... [--web-root PATH]...
  vigil-agent run [--once] [--root DIR]
  vigil-agent collect [--root DIR] [--pretty] [--lockfile-path PATH]... [--web-root PATH]...
  vigil-agent status
  vigil-agent uninstall [--yes]
  vigil-agent version
  vigil-agent --help

Every command also takes --config-dir DIR (default /etc/vigil-agent, or VIGIL_AGENT_CONFIG_DIR)
and --state-dir DIR (default /var/lib/vigil-agent, or VIGIL_AGENT_STATE_DIR).

  enroll     exchange a one-time enrollment token for this server's agent token (stored 0600).
             The server URL must be https, except for a loopback address or with --insecure-http.
             The token can also be given as VIGIL_AGENT_ENROLL_TOKEN, to keep it out of \`ps\`.
  run        check in, send the inventory when it changed (and at least daily), run approved
             actions; --once does one cycle and exits.
  collect    print the inventory that would be sent, as JSON, read under --root (default /).
  status     show the enrollment and the last check-in, inventory and error.
  uninstall  stop and remove the systemd unit, the token, the config and the state.

Exit codes:
  0  success
  1  failure (not enrolled, enrollment refused, a failed \`run --once\`)
  2  bad arguments
  3  the server refused this agent's token (revoked or rotated): re-enroll
  4  another \`run\` loop is already running
  75 \`run\` replaced (or rolled back) its own file: start it again (systemd Restart=always does)
`;
