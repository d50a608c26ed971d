#!/usr/bin/env bash
# scripts/services.sh — throwaway RabbitMQ + MariaDB servers on loopback for Junction's tests.
#
#   scripts/services.sh up              install if missing, start both, provision users, write env file
#   scripts/services.sh down [--wipe]   stop what this script started (--wipe: also delete the data)
#   scripts/services.sh restart-rabbit  (re)start RabbitMQ on the same port/data dir (after a kill -9)
#   scripts/services.sh restart-db      (re)start MariaDB on the same port/data dir (after a kill -9)
#   scripts/services.sh status          what runs (exit 0 if both of ours run, 1 otherwise)
#   scripts/services.sh env             path of the env file
#
# Contract: stdout carries only the result (last line of `up`: started | reused | external);
# progress goes to stderr. See docs/test-services.md.
#
# Design rules:
# * Never touch a process we did not start. "Ours" is proven from /proc, not from a pid file
#   alone: a pid file can be stale after a reboot or machine reuse, and the pid recycled.
#   - RabbitMQ: a beam.smp running `-s rabbit boot` whose environment has our
#     RABBITMQ_MNESIA_BASE (3.10 passes node settings via the environment, not argv).
#   - MariaDB: a mariadbd whose argv has our --datadir.
# * Fixed ports below 32768: the ephemeral range (32768-60999 here) lets an outgoing
#   connection grab the port, and a restarted server then dies with EADDRINUSE.
# * Both servers are independent of a system RabbitMQ/MariaDB (own node name, ports, data,
#   config): they can run next to one on 5672/3306 and next to another checkout's copy.
set -euo pipefail

# Debian puts rabbitmq-server, rabbitmqctl and mariadbd in /usr/sbin, which a non-login
# shell may not have on PATH.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
SCRIPT_DIR=$(dirname "$SCRIPT_PATH")
REPO=$(git -C "$SCRIPT_DIR" rev-parse --show-toplevel 2>/dev/null || (cd "$SCRIPT_DIR/.." && pwd))
STATE_DIR=$(readlink -m "${JUNCTION_SERVICES_DIR:-$REPO/.junction/services}")
STATE_FILE=$STATE_DIR/state.conf      # ports, paths, passwords (0600, sourced)
ENV_FILE=$STATE_DIR/env               # what tests source
RABBIT_PID_FILE=$STATE_DIR/rabbit.pid
DB_PID_FILE=$STATE_DIR/db.pid
LOCK_FILE=$STATE_DIR/lock
DB_DIR=$STATE_DIR/db
DB_DATA=$DB_DIR/data
DB_CNF=$DB_DIR/client.cnf             # root credentials for mariadb/mariadb-admin (0600)
DB_LOG=$DB_DIR/mariadb.log

DEFAULT_AMQP_PORT=17672   # the Erlang distribution port is always AMQP port + 1
DEFAULT_DB_PORT=13306
PORT_STEP=10
PORT_LIMIT=32767
READY_TIMEOUT=${JUNCTION_SERVICES_TIMEOUT:-60}   # seconds a server gets to become ready

# A short, stable id for this state dir: node name, /var/tmp fallback and socket fallback.
STATE_ID=$(printf '%s' "$STATE_DIR" | sha1sum | cut -c1-10)

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,10p' "$SCRIPT_PATH" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

require_root() {
  [[ $EUID -eq 0 ]] || die "must run as root (installs packages, runs mariadbd as root and RabbitMQ as the rabbitmq user)"
}

# Serialise mutating commands on one state dir (parallel test workers may all call `up`).
# Every server/CLI we launch gets `9>&-` (and `8>&-`, the ports lock below): a daemon inheriting
# the descriptor would hold the lock forever.
take_lock() {
  # 0755: rabbitmq must traverse it when RabbitMQ's data lives inside. Applied only to a dir
  # we create (never chmod a directory someone passed in); parents get the umask, and
  # choose_rabbit_base falls back to /var/tmp if they end up closed to rabbitmq.
  # shellcheck disable=SC2174
  mkdir -p -m 0755 "$STATE_DIR"
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || die "timed out waiting for $LOCK_FILE"
}

# One lock for every checkout on this machine, held from picking free ports until the servers
# listen on them: two `up`s at the same moment (parallel worktrees) would otherwise pick the same
# free ports, and one of them fail to start.
PORTS_LOCK=/tmp/junction-services-ports.lock
take_ports_lock() {
  exec 8>>"$PORTS_LOCK"
  flock -w 600 8 || die "timed out waiting for $PORTS_LOCK"
}
release_ports_lock() { exec 8>&-; }

# ---------------------------------------------------------------------------------------
# Installation
# ---------------------------------------------------------------------------------------
ensure_installed() {
  local missing=() c
  for c in rabbitmq-server rabbitmqctl mariadbd mariadb-install-db mariadb mariadb-admin; do
    command -v "$c" >/dev/null || missing+=("$c")
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null ||
    die "missing ${missing[*]} and no apt-get; install RabbitMQ and MariaDB yourself, or set JUNCTION_TEST_AMQP_URL and JUNCTION_TEST_DB_URL"
  log "installing rabbitmq-server mariadb-server (missing: ${missing[*]}; takes about a minute)"
  # No init system on CI: the packages install without starting anything.
  DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends rabbitmq-server mariadb-server >&2
  for c in "${missing[@]}"; do command -v "$c" >/dev/null || die "$c still missing after install"; done
}

# ---------------------------------------------------------------------------------------
# Small helpers: processes, ports, secrets
# ---------------------------------------------------------------------------------------

# Alive and not a zombie. (kill -0 succeeds on zombies, and here PID 1 does not reap
# orphans, so killed servers linger as zombies.)
proc_alive() {
  local pid=$1 st
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

proc_cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }

is_our_rabbit() {
  local pid=$1
  proc_alive "$pid" || return 1
  [[ " $(proc_cmdline "$pid")" == *beam.smp*" -s rabbit boot "* ]] || return 1
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "RABBITMQ_MNESIA_BASE=$RABBIT_BASE/mnesia"
}

is_our_db() {
  local pid=$1
  proc_alive "$pid" || return 1
  [[ $(proc_cmdline "$pid") == *mariadbd* ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "--datadir=$DB_DATA"
}

# Print the pid of our running server, or fail. Trusts the pid file only after the /proc
# check; otherwise scans /proc so a server whose pid file got lost is adopted rather than
# started twice. Stale pid files are removed.
find_pid() { # find_pid rabbit|db
  local kind=$1 file check pid p
  if [[ $kind == rabbit ]]; then file=$RABBIT_PID_FILE check=is_our_rabbit; else file=$DB_PID_FILE check=is_our_db; fi
  pid=$(cat "$file" 2>/dev/null || true)
  if [[ -n $pid ]] && $check "$pid"; then echo "$pid"; return 0; fi
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    if $check "$p"; then
      [[ -d $STATE_DIR ]] && echo "$p" >"$file"
      echo "$p"
      return 0
    fi
  done
  [[ -z $pid ]] || { log "removing stale $kind pid file (pid $pid is gone or is not our server)"; rm -f "$file"; }
  return 1
}

# A port is taken if anything LISTENs on it (any address, IPv4 or IPv6).
port_in_use() {
  local hex files=()
  hex=$(printf ':%04X' "$1")
  for f in /proc/net/tcp /proc/net/tcp6; do [[ -r $f ]] && files+=("$f"); done
  awk -v p="$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1 }
                   END { exit !found }' "${files[@]}"
}

# First port from $1 (stepping by PORT_STEP) where $2 consecutive ports are all free.
pick_port() {
  local p=$1 n=$2 i ok
  while ((p + n - 1 <= PORT_LIMIT)); do
    ok=1
    for ((i = 0; i < n; i++)); do port_in_use $((p + i)) && { ok=0; break; }; done
    ((ok)) && { echo "$p"; return 0; }
    p=$((p + PORT_STEP))
  done
  die "no free port found from $1 up to $PORT_LIMIT"
}

gen_secret() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }   # hex: safe in URLs and SQL

wait_gone() { # wait_gone pid seconds
  local pid=$1 end=$((SECONDS + $2))
  while proc_alive "$pid"; do ((SECONDS < end)) || return 1; sleep 0.2; done
}

# Last resort for a server of ours that ignored the polite shutdown.
kill_ours() { # kill_ours pid name
  local pid=$1 name=$2
  proc_alive "$pid" || return 0
  log "$name did not stop politely; sending SIGTERM to $pid"
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" 20 && return 0
  log "$name still alive; sending SIGKILL to $pid"
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || die "could not stop $name (pid $pid)"
}

# ---------------------------------------------------------------------------------------
# State: ports, paths and passwords chosen on the first `up`, reused afterwards
# ---------------------------------------------------------------------------------------
load_state() {
  AMQP_PORT='' DB_PORT='' RABBIT_BASE='' DB_SOCKET='' AMQP_PASS='' DB_PASS='' DB_ROOT_PASS=''
  RABBIT_NODE="junction-$STATE_ID@localhost"
  # shellcheck source=/dev/null
  [[ -f $STATE_FILE ]] && . "$STATE_FILE"
  return 0
}

save_state() {
  local tmp=$STATE_FILE.tmp
  (
    umask 077
    cat >"$tmp" <<EOF
# Written by scripts/services.sh; sourced by it. Delete the state dir to start from scratch.
AMQP_PORT=$AMQP_PORT
DB_PORT=$DB_PORT
RABBIT_NODE=$RABBIT_NODE
RABBIT_BASE='$RABBIT_BASE'
DB_SOCKET='$DB_SOCKET'
AMQP_PASS=$AMQP_PASS
DB_PASS=$DB_PASS
DB_ROOT_PASS=$DB_ROOT_PASS
EOF
  )
  mv -f "$tmp" "$STATE_FILE"
}

# The URLs tests connect with (also written to the env file).
amqp_url() { echo "amqp://junction:$AMQP_PASS@127.0.0.1:$AMQP_PORT/%2F"; }
db_url() { echo "mysql://junction:$DB_PASS@127.0.0.1:$DB_PORT/junction_test"; }

# RabbitMQ runs as the `rabbitmq` user (Debian's wrapper switches to it), so its data must
# live where that user can reach. Keep it inside the state dir when the path is traversable
# for rabbitmq, else fall back to /var/tmp.
choose_rabbit_base() {
  local cand=$STATE_DIR/rabbit
  mkdir -p "$cand"
  chown rabbitmq:rabbitmq "$cand"
  # shellcheck disable=SC2016  # $1 is expanded by the inner sh
  if runuser -u rabbitmq -- sh -c 'cd "$1" && touch .probe && rm -f .probe' sh "$cand" 2>/dev/null; then
    echo "$cand"
  else
    rmdir "$cand" 2>/dev/null || true
    cand=/var/tmp/junction-rabbit-$STATE_ID
    log "$STATE_DIR is not reachable for the rabbitmq user; RabbitMQ data goes to $cand"
    echo "$cand"
  fi
}

# Unix socket paths are limited to 108 bytes.
choose_db_socket() {
  local s=$DB_DIR/mysqld.sock
  ((${#s} < 100)) || s=/tmp/junction-db-$STATE_ID.sock
  echo "$s"
}

init_state() {
  load_state
  [[ -n $RABBIT_BASE ]] || RABBIT_BASE=$(choose_rabbit_base)
  [[ -n $DB_SOCKET ]] || DB_SOCKET=$(choose_db_socket)
  [[ -n $AMQP_PASS ]] || AMQP_PASS=$(gen_secret)
  [[ -n $DB_PASS ]] || DB_PASS=$(gen_secret)
  [[ -n $DB_ROOT_PASS ]] || DB_ROOT_PASS=$(gen_secret)
  [[ -n $AMQP_PORT ]] || AMQP_PORT=$DEFAULT_AMQP_PORT
  [[ -n $DB_PORT ]] || DB_PORT=$DEFAULT_DB_PORT
  save_state
}

require_state() {
  [[ -f $STATE_FILE ]] || die "no state in $STATE_DIR; run '$0 up' first"
  load_state
}

# Values are quoted only when needed so both `. env` and dotenv-style parsers read them.
env_line() {
  local k=$1 v=$2
  [[ $v != *[\"\$\`\\]* ]] || die "cannot write $k safely: $v"
  if [[ $v =~ ^[A-Za-z0-9_@%:/.,+=-]*$ ]]; then echo "$k=$v"; else echo "$k=\"$v\""; fi
}

write_env() {
  local rpid dpid tmp=$ENV_FILE.tmp
  rpid=$(find_pid rabbit || true)
  dpid=$(find_pid db || true)
  (
    umask 077
    {
      echo "# Written by scripts/services.sh; source with: set -a; . $ENV_FILE; set +a"
      env_line JUNCTION_SERVICES_DIR "$STATE_DIR"
      env_line JUNCTION_TEST_SERVICES_SCRIPT "$SCRIPT_PATH"
      env_line JUNCTION_TEST_AMQP_URL "$(amqp_url)"
      env_line JUNCTION_TEST_AMQP_PORT "$AMQP_PORT"
      env_line JUNCTION_TEST_RABBIT_NODE "$RABBIT_NODE"
      env_line JUNCTION_TEST_RABBIT_CTL "$(ctl_command)"
      env_line JUNCTION_TEST_RABBIT_PID "$rpid"
      env_line JUNCTION_TEST_DB_URL "$(db_url)"
      env_line JUNCTION_TEST_DB_ADMIN_URL "mysql://root:$DB_ROOT_PASS@127.0.0.1:$DB_PORT/"
      env_line JUNCTION_TEST_DB_PORT "$DB_PORT"
      env_line JUNCTION_TEST_DB_SOCKET "$DB_SOCKET"
      env_line JUNCTION_TEST_DB_PID "$dpid"
    } >"$tmp"
  )
  mv -f "$tmp" "$ENV_FILE"
}

# ---------------------------------------------------------------------------------------
# RabbitMQ
# ---------------------------------------------------------------------------------------

# rabbitmqctl must run as the rabbitmq user, whose HOME (/var/lib/rabbitmq) holds the Erlang
# cookie the node uses. Debian's /usr/sbin/rabbitmqctl wrapper switches user with
# `su -c "<arguments pasted into a string>"`, so the shell expands $, ` and \ inside
# arguments (try `eval '"$HOME".'`); runuser passes them verbatim. This is also the command
# written to the env file as JUNCTION_TEST_RABBIT_CTL.
ctl_command() {
  if [[ -x /usr/lib/rabbitmq/bin/rabbitmqctl ]]; then
    echo "runuser -u rabbitmq -- /usr/lib/rabbitmq/bin/rabbitmqctl -n $RABBIT_NODE"
  else
    echo "$(command -v rabbitmqctl) -n $RABBIT_NODE"
  fi
}

# ERL_EPMD_ADDRESS: if this CLI call is the first Erlang program on the machine, it starts
# epmd (shared, port 4369; we never stop it), and epmd should then listen on loopback only.
ctl() {
  local -a argv
  read -ra argv <<<"$(ctl_command)"
  (cd / && ERL_EPMD_ADDRESS=127.0.0.1 "${argv[@]}" -q "$@") 9>&- 8>&-
}

rabbit_log_tail() {
  local f
  for f in "$RABBIT_BASE/log/$RABBIT_NODE.log" "$RABBIT_BASE/log/startup.log"; do
    [[ -s $f ]] || continue
    log "---- last lines of $f ----"
    tail -n 30 "$f" >&2
  done
}

# Wait until the node answers await_startup. await_startup fails at once while the node is
# not yet registered with epmd, hence the loop. Fail early when the launcher we just started
# (optional $1) has exited, or when no beam of ours exists after a grace period.
wait_rabbit_ready() { # wait_rabbit_ready [launcher_pid]
  local launcher=${1:-} start=$SECONDS end=$((SECONDS + READY_TIMEOUT)) pid
  while :; do
    if ctl await_startup --timeout 10 >/dev/null 2>&1; then
      log "RabbitMQ ready on 127.0.0.1:$AMQP_PORT after $((SECONDS - start)) s"
      return 0
    fi
    pid=$(find_pid rabbit 2>/dev/null || true)
    if { [[ -n $launcher ]] && ! proc_alive "$launcher"; } || { [[ -z $pid ]] && ((SECONDS - start >= 15)); }; then
      rabbit_log_tail
      die "RabbitMQ (node $RABBIT_NODE, port $AMQP_PORT) exited during startup; logs in $RABBIT_BASE/log"
    fi
    if ((SECONDS >= end)); then
      rabbit_log_tail
      [[ -n $pid ]] && kill_ours "$pid" RabbitMQ
      die "RabbitMQ did not become ready within ${READY_TIMEOUT}s; logs in $RABBIT_BASE/log"
    fi
    sleep 1
  done
}

# start_rabbit fixed|pick — `pick` may move to another port if ours is taken by a stranger.
# Sets RABBIT_FRESH=1 if the node's database was new (users need provisioning). (A flag, not
# the exit status: `if f` / `f || x` would switch off `set -e` inside f.)
RABBIT_FRESH=0
start_rabbit() {
  local mode=$1 mnesia=$RABBIT_BASE/mnesia
  if port_in_use "$AMQP_PORT" || port_in_use $((AMQP_PORT + 1)); then
    [[ $mode == pick ]] || die "port $AMQP_PORT or $((AMQP_PORT + 1)) is taken by a process that is not ours; cannot restart RabbitMQ on it"
    local old=$AMQP_PORT
    AMQP_PORT=$(pick_port "$AMQP_PORT" 2)
    log "port $old (or $((old + 1))) is taken by something else; RabbitMQ uses $AMQP_PORT"
    save_state
  fi
  mkdir -p "$mnesia" "$RABBIT_BASE/log"
  if [[ -d $mnesia/$RABBIT_NODE ]]; then RABBIT_FRESH=0; else RABBIT_FRESH=1; fi
  # Own (empty) config and plugin list: a system-wide rabbitmq.conf or enabled management
  # plugin would otherwise apply to our node too (and clash with the system node's ports).
  [[ -f $RABBIT_BASE/rabbitmq.conf ]] || echo "# managed by scripts/services.sh" >"$RABBIT_BASE/rabbitmq.conf"
  [[ -f $RABBIT_BASE/enabled_plugins ]] || echo "[]." >"$RABBIT_BASE/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$RABBIT_BASE"
  rm -f "$RABBIT_BASE/beam.pid"
  log "starting RabbitMQ node $RABBIT_NODE on 127.0.0.1:$AMQP_PORT (dist port $((AMQP_PORT + 1)))"
  # Foreground mode (not -detached) in the background, so boot errors land in startup.log
  # (a -detached node that dies early leaves no trace at all). The process chain is
  # wrapper sh -> su -> sh -> rabbitmq-server sh -> beam.smp; the beam pid is found in /proc.
  # setsid: own session, so a Ctrl-C in the caller's terminal does not reach the server.
  # The distribution port is set explicitly (otherwise 3.10 derives it as AMQP port + 20000,
  # inside the ephemeral range) and bound to loopback like AMQP.
  (cd / && exec env \
    RABBITMQ_NODENAME="$RABBIT_NODE" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$AMQP_PORT" \
    RABBITMQ_DIST_PORT=$((AMQP_PORT + 1)) \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_MNESIA_BASE="$mnesia" \
    RABBITMQ_LOG_BASE="$RABBIT_BASE/log" \
    ERL_CRASH_DUMP="$RABBIT_BASE/log/erl_crash.dump" \
    RABBITMQ_PID_FILE="$RABBIT_BASE/beam.pid" \
    RABBITMQ_CONFIG_FILE="$RABBIT_BASE/rabbitmq.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_BASE/enabled_plugins" \
    setsid rabbitmq-server) </dev/null >>"$RABBIT_BASE/log/startup.log" 2>&1 9>&- 8>&- &
  wait_rabbit_ready $!
  find_pid rabbit >/dev/null || die "RabbitMQ is up but its process was not found"
}

provision_rabbit() {
  log "provisioning RabbitMQ user junction"
  # add_user fails if the user exists; then make sure the password matches ours.
  ctl add_user junction "$AMQP_PASS" >/dev/null 2>&1 || ctl change_password junction "$AMQP_PASS" >&2
  ctl set_user_tags junction administrator >&2
  ctl set_permissions -p / junction '.*' '.*' '.*' >&2
}

stop_rabbit() {
  local pid
  pid=$(find_pid rabbit) || { rm -f "$RABBIT_PID_FILE"; return 0; }
  log "stopping RabbitMQ (pid $pid)"
  # `shutdown` stops the node and waits for the OS process to exit.
  ctl shutdown --timeout 60 </dev/null 1>&2 || true
  wait_gone "$pid" 10 || kill_ours "$pid" RabbitMQ
  rm -f "$RABBIT_PID_FILE"
}

# ---------------------------------------------------------------------------------------
# MariaDB
# ---------------------------------------------------------------------------------------
db_log_tail() {
  local f
  for f in "$DB_LOG" "$DB_DIR/mariadbd.out" "$DB_DIR/install.log"; do
    [[ -s $f ]] || continue
    log "---- last lines of $f ----"
    tail -n 30 "$f" >&2
  done
}

wait_db_ready() { # wait_db_ready pid
  local pid=$1 start=$SECONDS end=$((SECONDS + READY_TIMEOUT))
  while :; do
    # ping exits 0 as soon as the server answers, even with "access denied".
    if mariadb-admin --no-defaults --protocol=socket --socket="$DB_SOCKET" --connect-timeout=2 ping >/dev/null 2>&1; then
      log "MariaDB ready on 127.0.0.1:$DB_PORT after $((SECONDS - start)) s"
      return 0
    fi
    if ! proc_alive "$pid"; then
      db_log_tail
      die "MariaDB (port $DB_PORT) exited during startup; log: $DB_LOG"
    fi
    if ((SECONDS >= end)); then
      db_log_tail
      kill_ours "$pid" MariaDB
      die "MariaDB did not become ready within ${READY_TIMEOUT}s; log: $DB_LOG"
    fi
    sleep 0.5
  done
}

# --no-defaults everywhere: the system's /etc/mysql config (pid file, socket, port of the
# system server) must not leak into ours. Debian's charset defaults are restated instead.
start_db() { # start_db fixed|pick
  local mode=$1 pid
  if port_in_use "$DB_PORT"; then
    [[ $mode == pick ]] || die "port $DB_PORT is taken by a process that is not ours; cannot restart MariaDB on it"
    local old=$DB_PORT
    DB_PORT=$(pick_port "$DB_PORT" 1)
    log "port $old is taken by something else; MariaDB uses $DB_PORT"
    save_state
  fi
  mkdir -p "$DB_DIR"
  # The marker tells a finished initialisation from one interrupted half-way.
  if [[ ! -f $DB_DATA/.junction-initialised ]]; then
    log "initialising MariaDB data dir $DB_DATA"
    rm -rf "$DB_DATA"
    mariadb-install-db --no-defaults --datadir="$DB_DATA" --user=root \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
      >"$DB_DIR/install.log" 2>&1 9>&- 8>&- || { db_log_tail; die "mariadb-install-db failed"; }
    touch "$DB_DATA/.junction-initialised"
  fi
  rm -f "$DB_SOCKET"   # left behind by a kill -9; the path is ours alone
  log "starting MariaDB on 127.0.0.1:$DB_PORT"
  # setsid: own session, so a Ctrl-C in the caller's terminal does not reach the server.
  # In a non-interactive shell the background child is no group leader, so setsid execs
  # in place and $! is mariadbd's pid.
  setsid mariadbd --no-defaults \
    --datadir="$DB_DATA" --socket="$DB_SOCKET" --port="$DB_PORT" --bind-address=127.0.0.1 \
    --user=root --pid-file="$DB_DIR/mariadbd.pid" --log-error="$DB_LOG" \
    --skip-name-resolve --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    </dev/null >>"$DB_DIR/mariadbd.out" 2>&1 9>&- 8>&- &
  pid=$!
  echo "$pid" >"$DB_PID_FILE"
  wait_db_ready "$pid"
  find_pid db >/dev/null || die "MariaDB is up but its process was not found"
}

write_db_cnf() {
  (
    umask 077
    printf '[client]\nuser=root\npassword=%s\nprotocol=socket\nsocket=%s\n' "$DB_ROOT_PASS" "$DB_SOCKET" >"$DB_CNF"
  )
}

db_root() { mariadb --defaults-file="$DB_CNF" "$@"; }

provision_db() {
  write_db_cnf
  local -a client=(mariadb --defaults-file="$DB_CNF")
  if ! db_root -e 'SELECT 1' >/dev/null 2>&1; then
    # Fresh data dir: root has no password yet.
    client=(mariadb --no-defaults --protocol=socket --socket="$DB_SOCKET" -uroot)
    "${client[@]}" -e 'SELECT 1' >/dev/null 2>&1 ||
      die "cannot log in to MariaDB as root (password in $STATE_FILE does not match the data dir?); try '$0 down --wipe'"
  fi
  log "provisioning MariaDB database junction_test and user junction"
  # mariadb-install-db also creates passwordless root@::1 and root@<hostname>: unreachable
  # here (we bind 127.0.0.1 and skip name resolution) but pointless, so drop them.
  local host drops=''
  for host in $("${client[@]}" -N -B -e "SELECT Host FROM mysql.user WHERE User = 'root' AND Host NOT IN ('localhost', '127.0.0.1')"); do
    if [[ $host =~ ^[A-Za-z0-9.:_-]+$ ]]; then drops+="DROP USER IF EXISTS 'root'@'$host';"$'\n'; fi
  done
  # root@127.0.0.1 is what JUNCTION_TEST_DB_ADMIN_URL uses (TCP); with skip-name-resolve,
  # 'localhost' accounts only match socket connections.
  # (Unquoted heredoc: \` and \\ below reach SQL as ` and \.)
  "${client[@]}" <<SQL
$drops
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '$DB_ROOT_PASS';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$DB_ROOT_PASS';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS junction_test;
CREATE USER IF NOT EXISTS 'junction'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
ALTER USER 'junction'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS 'junction'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER 'junction'@'localhost' IDENTIFIED BY '$DB_PASS';
-- Tests create their own junction_t_<random> databases: grant on a LIKE pattern.
GRANT ALL PRIVILEGES ON \`junction\\_%\`.* TO 'junction'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`junction\\_%\`.* TO 'junction'@'localhost';
ALTER USER 'root'@'localhost' IDENTIFIED BY '$DB_ROOT_PASS';
FLUSH PRIVILEGES;
SQL
}

stop_db() {
  local pid
  pid=$(find_pid db) || { rm -f "$DB_PID_FILE"; return 0; }
  log "stopping MariaDB (pid $pid)"
  if [[ -f $DB_CNF ]]; then
    timeout 60 mariadb-admin --defaults-file="$DB_CNF" shutdown 1>&2 9>&- 8>&- || true
  fi
  wait_gone "$pid" 30 || kill_ours "$pid" MariaDB
  rm -f "$DB_PID_FILE"
}

# ---------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------
# Both URLs set by the caller, and not just our own env file sourced into the shell.
external_servers() {
  [[ -n ${JUNCTION_TEST_AMQP_URL:-} && -n ${JUNCTION_TEST_DB_URL:-} ]] || return 1
  if [[ -r $STATE_FILE ]]; then
    load_state
    [[ $JUNCTION_TEST_AMQP_URL == "$(amqp_url)" && $JUNCTION_TEST_DB_URL == "$(db_url)" ]] && return 1
  fi
  return 0
}

cmd_up() {
  if external_servers; then
    log "JUNCTION_TEST_AMQP_URL and JUNCTION_TEST_DB_URL are set: using those servers, starting nothing"
    echo external
    return 0
  fi
  require_root
  ensure_installed
  take_lock
  init_state
  local started=0
  local pid
  take_ports_lock
  if pid=$(find_pid rabbit); then
    log "RabbitMQ already running (ours, pid $pid)"
    wait_rabbit_ready
  else
    start_rabbit pick
    provision_rabbit   # always on `up`: cheap insurance that the password matches state.conf
    started=1
  fi
  if pid=$(find_pid db); then
    log "MariaDB already running (ours, pid $pid)"
    wait_db_ready "$pid"
  else
    start_db pick
    provision_db
    started=1
  fi
  release_ports_lock
  write_env
  log "env file: $ENV_FILE"
  if ((started)); then echo started; else echo reused; fi
}

cmd_restart_rabbit() {
  require_root
  take_lock
  require_state
  stop_rabbit
  # Same port and data dir as before; users survive in the data dir unless it is new.
  start_rabbit fixed
  if ((RABBIT_FRESH)); then provision_rabbit; fi
  write_env
  echo started
}

cmd_restart_db() {
  require_root
  take_lock
  require_state
  stop_db
  start_db fixed
  provision_db
  write_env
  echo started
}

cmd_down() {
  local wipe=0
  case ${1:-} in
    --wipe) wipe=1 ;;
    '') ;;
    *) usage ;;
  esac
  require_root
  if [[ ! -f $STATE_FILE ]]; then log "nothing to stop (no state in $STATE_DIR)"; echo stopped; return 0; fi
  take_lock
  load_state
  stop_rabbit
  stop_db
  rm -f "$ENV_FILE"   # it would describe servers that no longer run
  if ((wipe)); then
    log "wiping data: $STATE_DIR and $RABBIT_BASE"
    # Only paths this script creates; guards against an odd state.conf.
    case $RABBIT_BASE in
      "$STATE_DIR"/rabbit | /var/tmp/junction-rabbit-*) rm -rf "$RABBIT_BASE" ;;
    esac
    [[ $DB_SOCKET == /tmp/junction-db-* ]] && rm -f "$DB_SOCKET"
    rm -rf "$DB_DIR" "$STATE_FILE" "$RABBIT_PID_FILE" "$DB_PID_FILE"
    rm -f "$LOCK_FILE"
    rmdir "$STATE_DIR" 2>/dev/null || true
  else
    log "data kept in $STATE_DIR (use 'down --wipe' to delete it)"
  fi
  echo stopped
}

cmd_status() {
  if [[ ! -f $STATE_FILE ]]; then echo "no state in $STATE_DIR (never started)"; return 1; fi
  load_state
  local rc=0 pid
  if pid=$(find_pid rabbit 2>/dev/null); then
    echo "rabbitmq: running  pid $pid  amqp 127.0.0.1:$AMQP_PORT  node $RABBIT_NODE  data $RABBIT_BASE"
  else
    echo "rabbitmq: stopped  (port $AMQP_PORT, data $RABBIT_BASE)"; rc=1
  fi
  if pid=$(find_pid db 2>/dev/null); then
    echo "mariadb:  running  pid $pid  mysql 127.0.0.1:$DB_PORT  socket $DB_SOCKET  data $DB_DATA"
  else
    echo "mariadb:  stopped  (port $DB_PORT, data $DB_DATA)"; rc=1
  fi
  if [[ -f $ENV_FILE ]]; then echo "env file: $ENV_FILE"; fi
  return $rc
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
    up) cmd_up ;;
    down) cmd_down "$@" ;;
    restart-rabbit) cmd_restart_rabbit ;;
    restart-db) cmd_restart_db ;;
    status) cmd_status ;;
    env) echo "$ENV_FILE" ;;
    *) usage ;;
  esac
}

main "$@"
