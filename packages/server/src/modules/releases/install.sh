#!/bin/sh
# Vigil agent installer, served by a Vigil server at /install.sh.
#
#   curl -fsSL https://vigil.example/install.sh | sudo sh -s -- --token vgl_enroll_... [--yes] [--no-tools]
#
# It installs the agent (one JavaScript file run by Node.js >= 18) to /usr/local/lib/vigil-agent/,
# a wrapper at /usr/local/bin/vigil-agent and the systemd unit vigil-agent.service, enrolls the
# server with the token, and starts the service.
#
# Package managers: the script never runs apt-get, dnf or apk unless Node.js >= 18 is missing AND
# you agreed: it asks first (on the terminal, since standard input is this script when piped),
# --yes answers yes for unattended installs, --no-tools never installs anything and stops naming
# what is missing.
#
# Trust: at install time the root of trust is TLS to the server below: this script, the manifest
# and the agent file all come from it, and the file is checked against the SHA-256 and size in
# the manifest (which catches a corrupted or truncated download, not a compromised server; the
# manifest's signature is not checked here because this script has no key pinned). From then on
# the agent installs an update only when its manifest is signed by a release key pinned in the
# agent's own code.
#
# Test-only variables, never needed on a real machine: VIGIL_INSTALL_ROOT is prefixed to every
# system path the script reads or writes, VIGIL_INSTALL_TTY replaces /dev/tty for the question.
set -eu

SERVER_URL=@@VIGIL_SERVER_URL@@
ROOT=${VIGIL_INSTALL_ROOT:-}
TTY=${VIGIL_INSTALL_TTY:-/dev/tty}
NODE_MIN_MAJOR=18
LIB_DIR=/usr/local/lib/vigil-agent
AGENT_FILE=$LIB_DIR/vigil-agent.mjs
WRAPPER=/usr/local/bin/vigil-agent
UNIT_FILE=/etc/systemd/system/vigil-agent.service
# The agent's default state directory (vigil-agent's --state-dir), for the wrapper's rollback.
STATE_DIR=/var/lib/vigil-agent

TOKEN=
ASSUME_YES=0
NO_TOOLS=0

say() { printf 'vigil-install: %s\n' "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}

usage() {
	cat >&2 <<EOF
usage: curl -fsSL $SERVER_URL/install.sh | sudo sh -s -- --token TOKEN [--yes] [--no-tools]

  --token TOKEN  the one-time enrollment token (vgl_enroll_...) from Vigil
  --yes          answer yes to installing Node.js when it is missing (unattended installs)
  --no-tools     never run a package manager: stop, naming what to install, when Node.js is missing
EOF
}

while [ $# -gt 0 ]; do
	case $1 in
	--token)
		[ $# -ge 2 ] || die '--token needs a value'
		TOKEN=$2
		shift 2
		;;
	--token=*)
		TOKEN=${1#--token=}
		shift
		;;
	--yes | -y)
		ASSUME_YES=1
		shift
		;;
	--no-tools)
		NO_TOOLS=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage
		die "unknown option: $1"
		;;
	esac
done

[ -n "$TOKEN" ] || die '--token is required: create an enrollment token in Vigil (Assets > Add server)'
# The token reaches a command line below: only its own alphabet is accepted, nothing a shell reads.
case $TOKEN in
vgl_enroll_*) ;;
*) die '--token must be a vgl_enroll_ token' ;;
esac
case $TOKEN in
*[!A-Za-z0-9_-]*) die '--token has characters a token never has' ;;
esac

[ "$(id -u)" = 0 ] || die "run as root: the agent is a root service (curl -fsSL $SERVER_URL/install.sh | sudo sh -s -- --token ...)"
command -v systemctl >/dev/null 2>&1 || die 'systemd is required (systemctl not found); see the Vigil docs to run the agent under another service manager'
command -v curl >/dev/null 2>&1 || die 'curl is required'

OS_ID=unknown
OS_LIKE=
if [ -r "$ROOT/etc/os-release" ]; then
	# os-release is a root-owned file of shell assignments, meant to be sourced (in a subshell here).
	# shellcheck disable=SC1091
	OS_ID=$(. "$ROOT/etc/os-release" && printf '%s' "${ID:-unknown}")
	# shellcheck disable=SC1091
	OS_LIKE=$(. "$ROOT/etc/os-release" && printf '%s' "${ID_LIKE:-}")
fi
say "system: $OS_ID${OS_LIKE:+ (like $OS_LIKE)}"

node_ok() {
	command -v node >/dev/null 2>&1 || return 1
	major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || return 1
	case $major in '' | *[!0-9]*) return 1 ;; esac
	[ "$major" -ge "$NODE_MIN_MAJOR" ]
}

# The package manager of this system and the command that installs Node.js with it.
install_command() {
	# ID_LIKE is a space-separated list: split on purpose.
	# shellcheck disable=SC2086
	for id in $OS_ID $OS_LIKE; do
		case $id in
		debian | ubuntu)
			echo apt
			return
			;;
		fedora | rhel | centos | rocky | almalinux | ol | amzn)
			echo dnf
			return
			;;
		alpine)
			echo apk
			return
			;;
		esac
	done
	if command -v apt-get >/dev/null 2>&1; then echo apt; elif command -v dnf >/dev/null 2>&1; then echo dnf; elif command -v apk >/dev/null 2>&1; then echo apk; fi
}

describe_install() {
	case $1 in
	apt) echo 'apt-get update && apt-get install -y nodejs' ;;
	dnf) echo 'dnf install -y nodejs' ;;
	apk) echo 'apk add nodejs' ;;
	esac
}

run_install() {
	case $1 in
	apt)
		DEBIAN_FRONTEND=noninteractive apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs
		;;
	dnf) dnf install -y nodejs ;;
	apk) apk add nodejs ;;
	esac
}

# Asks on the terminal (standard input is this script when piped); no terminal means no.
confirm() {
	[ "$ASSUME_YES" = 1 ] && return 0
	printf 'vigil-install: %s [y/N] ' "$1" >&2
	answer=
	if ! { IFS= read -r answer <"$TTY"; } 2>/dev/null; then
		printf '\n' >&2
		say 'no terminal to ask on (rerun with --yes to agree in advance)'
		return 1
	fi
	case $answer in
	y | Y | yes | YES | Yes) return 0 ;;
	*) return 1 ;;
	esac
}

if ! node_ok; then
	WHAT="Node.js $NODE_MIN_MAJOR or newer (the package is usually called nodejs)"
	[ "$NO_TOOLS" = 0 ] || die "$WHAT is required and --no-tools was given: install it, then run this again"
	PM=$(install_command)
	[ -n "$PM" ] || die "$WHAT is required and this system has no apt-get, dnf or apk: install it, then run this again"
	confirm "$WHAT is missing. Install it now with: $(describe_install "$PM")?" ||
		die "$WHAT is required: install it (or rerun with --yes), then run this again"
	run_install "$PM"
	node_ok || die "the installed Node.js is older than $NODE_MIN_MAJOR (the distribution's package is too old): install Node.js $NODE_MIN_MAJOR+ from your vendor or NodeSource, then run this again"
fi
NODE_BIN=$(command -v node)
say "using $NODE_BIN ($(node --version))"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/vigil-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

# https only, redirects included, unless the server itself is plain http (a loopback install).
case $SERVER_URL in
https://*) PROTO='=https' ;;
*) PROTO='=http,https' ;;
esac
fetch() {
	curl -fsSL --proto "$PROTO" --proto-redir "$PROTO" --retry 3 --connect-timeout 20 "$@"
}

say "fetching the agent manifest from $SERVER_URL"
fetch -o "$WORK/manifest.json" "$SERVER_URL/downloads/agent/latest/manifest.json?platform=node" ||
	die "no agent release could be fetched from $SERVER_URL (has one been published? see 'vigil release sign')"

# Version, SHA-256, size and absolute URL from the manifest, each checked for its shape.
FIELDS=$(node -e '
const fs = require("fs");
const envelope = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const m = JSON.parse(Buffer.from(String(envelope.payload), "base64url").toString("utf8"));
const url = new URL(String(m.url), process.argv[2]);
const ok = m.platform === "node" && /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(m.version) && /^[0-9a-f]{64}$/.test(m.sha256) &&
  Number.isInteger(m.size) && m.size > 0 && (url.protocol === "https:" || url.protocol === "http:");
if (!ok) process.exit(2);
process.stdout.write([m.version, m.sha256, m.size, url.href].join(" "));
' "$WORK/manifest.json" "$SERVER_URL/") || die 'the manifest the server sent is not a release manifest'
read -r VERSION SHA256 SIZE URL <<EOF
$FIELDS
EOF

say "downloading vigil-agent $VERSION"
fetch --max-filesize "$SIZE" -o "$WORK/vigil-agent.mjs" "$URL" || die "the download of $URL failed"
node -e '
const b = require("fs").readFileSync(process.argv[1]);
const sha = require("crypto").createHash("sha256").update(b).digest("hex");
process.exit(b.length === Number(process.argv[3]) && sha === process.argv[2] ? 0 : 1);
' "$WORK/vigil-agent.mjs" "$SHA256" "$SIZE" || die 'the downloaded agent does not match the manifest (size or SHA-256): nothing was installed'

umask 022
mkdir -p "$ROOT$LIB_DIR" "$ROOT${WRAPPER%/*}" "$ROOT${UNIT_FILE%/*}"
# Each file is written beside its place and renamed: a running agent never sees half a file.
cp "$WORK/vigil-agent.mjs" "$ROOT$AGENT_FILE.new"
chmod 0755 "$ROOT$AGENT_FILE.new"
mv -f "$ROOT$AGENT_FILE.new" "$ROOT$AGENT_FILE"

cat >"$ROOT$WRAPPER.new" <<EOF
#!/bin/sh
# Written by the Vigil installer: runs the agent with the Node.js found at install time.
#
# After a self-update the agent rolls itself back when the new version does not check in, but a
# new file that cannot even start (a syntax error, a Node.js too old for it) never gets there.
# So while an update is pending, this counts the service's starts; the agent resets the count
# once it runs. After 3 starts without that, the previous file is put back, and the agent,
# started again, records the version as failed (it never retries it).
state=$STATE_DIR
agent='$AGENT_FILE'
if [ "\${1:-}" = run ] && [ -f "\$state/update-pending.json" ] && [ -f "\$agent.previous" ]; then
	starts=\$(cat "\$state/update-wrapper-starts" 2>/dev/null || true)
	case \$starts in '' | *[!0-9]*) starts=0 ;; esac
	starts=\$((starts + 1))
	if [ "\$starts" -gt 3 ]; then
		cp "\$agent.previous" "\$agent.restore" && chmod 0755 "\$agent.restore" && mv -f "\$agent.restore" "\$agent" &&
			: >"\$state/update-rolled-back-by-wrapper" && rm -f "\$state/update-wrapper-starts"
	else
		echo "\$starts" >"\$state/update-wrapper-starts"
	fi
fi
exec '$NODE_BIN' "\$agent" "\$@"
EOF
chmod 0755 "$ROOT$WRAPPER.new"
mv -f "$ROOT$WRAPPER.new" "$ROOT$WRAPPER"

cat >"$ROOT$UNIT_FILE.new" <<EOF
# Written by the Vigil installer ($SERVER_URL).
[Unit]
Description=Vigil agent: inventory, approved actions, signed self-update
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
# Root: it reads every package database and runs the package manager for approved actions.
User=root
ExecStart=$WRAPPER run
# The agent exits with 75 after it replaced (or rolled back) its own file: always start it again.
Restart=always
RestartSec=10
# 3: the server refused this agent's token (revoked or rotated). Restarting cannot help; the
# agent stays stopped until someone re-enrolls it, instead of knocking every 10 seconds.
RestartPreventExitStatus=3
# Hardening, kept to what cannot break an approved action. Package upgrades write /usr, /etc,
# /var and /boot, reload sysctl settings, rebuild initramfs and may set setuid bits, so
# ProtectSystem, ProtectKernel*, RestrictSUIDSGID and NoNewPrivileges (which also blocks SELinux
# transitions of rpm scriptlets) are left off. No action writes home directories, and WordPress
# roots there are only read.
ProtectHome=read-only
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
EOF
chmod 0644 "$ROOT$UNIT_FILE.new"
mv -f "$ROOT$UNIT_FILE.new" "$ROOT$UNIT_FILE"
say "installed $AGENT_FILE, $WRAPPER and $UNIT_FILE"

say "enrolling with $SERVER_URL"
# The token goes through the environment, not the command line, so other local users' `ps` never shows it.
VIGIL_AGENT_ENROLL_TOKEN=$TOKEN "$NODE_BIN" "$ROOT$AGENT_FILE" enroll --server "$SERVER_URL" ||
	die 'enrollment failed (is the token unused and not expired?)'

systemctl daemon-reload
systemctl enable vigil-agent.service
systemctl restart vigil-agent.service
say "vigil-agent $VERSION is running: systemctl status vigil-agent"
