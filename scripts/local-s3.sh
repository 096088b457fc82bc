#!/usr/bin/env bash
# Local S3-compatible server with versioning for tests: Ceph RADOS Gateway (RGW)
# on a throw-away one-node Ceph cluster (one mon, one memstore OSD, auth off),
# bound to 127.0.0.1 only. No Docker; Debian packages only.
#
# Usage: scripts/local-s3.sh install|start|stop|status|env|help
#
#   install  install the Debian packages if missing (ceph-mon ceph-osd radosgw ceph-common)
#   start    install if needed, create a fresh cluster in $LOCAL_S3_DIR, start mon/osd/radosgw,
#            wait until S3 answers, create the S3 user. Does nothing if already running.
#   stop     stop the daemons recorded in our pid files, remove $LOCAL_S3_DIR and its lock file
#            ($LOCAL_S3_DIR.lock). Exit 0 if none.
#   status   exit 0 if S3 answers on the port, else 1
#   env      print `export` lines; use as: eval "$(scripts/local-s3.sh env)"
#
# Environment (all optional):
#   LOCAL_S3_PORT          S3 (radosgw) port on 127.0.0.1         [7480]
#   LOCAL_S3_MON_PORT      ceph-mon port (msgr v1) on 127.0.0.1   [6799]
#   LOCAL_S3_DIR           state dir (config, data, logs, pids)  [/tmp/s3-rollback-local-s3]
#   LOCAL_S3_MEMSTORE_GIB  OSD memstore size in GiB (RAM)         [8]
#   LOCAL_S3_ACCESS_KEY    S3 access key                          [s3rollback]
#   LOCAL_S3_SECRET_KEY    S3 secret key                          [s3rollbacksecret]
#   LOCAL_S3_START_TIMEOUT seconds allowed for `start` (after any install) [60]
#
# SDK settings for this server: forcePathStyle: true, region us-east-1,
# requestChecksumCalculation/responseChecksumValidation: 'WHEN_REQUIRED'.
set -euo pipefail

PORT="${LOCAL_S3_PORT:-7480}"
MON_PORT="${LOCAL_S3_MON_PORT:-6799}"
DIR="${LOCAL_S3_DIR:-/tmp/s3-rollback-local-s3}"
MEMSTORE_GIB="${LOCAL_S3_MEMSTORE_GIB:-8}"
ACCESS_KEY="${LOCAL_S3_ACCESS_KEY:-s3rollback}"
SECRET_KEY="${LOCAL_S3_SECRET_KEY:-s3rollbacksecret}"
START_TIMEOUT="${LOCAL_S3_START_TIMEOUT:-60}"
REGION="us-east-1"
S3_UID="s3rollback"
STOP_GRACE=15            # seconds between SIGTERM and SIGKILL
MARKER=".local-s3-state" # only a dir holding this file is ever removed by `stop`

log() { printf 'local-s3: %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- validation
for v in PORT MON_PORT MEMSTORE_GIB START_TIMEOUT; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || fail "$v must be a positive integer (got '${!v}')"
done
((PORT > 0 && PORT < 65536 && MON_PORT > 0 && MON_PORT < 65536)) || fail "ports must be 1..65535"
((PORT != MON_PORT)) || fail "LOCAL_S3_PORT and LOCAL_S3_MON_PORT must differ"
((MEMSTORE_GIB > 0)) || fail "LOCAL_S3_MEMSTORE_GIB must be > 0"
[[ -n "$DIR" && "$DIR" != *[[:space:]]* && "$DIR" != *[\;\#=]* ]] ||
  fail "LOCAL_S3_DIR must be non-empty, without spaces, ';', '#' or '='"
[[ "$DIR" == /* ]] || DIR="$PWD/$DIR" # callers may be anywhere: make it absolute now
DIR="${DIR%/}"
case "$DIR" in "" | / | /tmp | /root | /home | /var | /usr | /etc) fail "refusing LOCAL_S3_DIR=$DIR" ;; esac
# Unix socket paths (admin sockets) are limited to 107 bytes.
((${#DIR} <= 80)) || fail "LOCAL_S3_DIR is too long (max 80 chars): $DIR"
[[ "$ACCESS_KEY" =~ ^[A-Za-z0-9._-]+$ && "$SECRET_KEY" =~ ^[A-Za-z0-9._/+-]+$ ]] ||
  fail "LOCAL_S3_ACCESS_KEY / LOCAL_S3_SECRET_KEY contain unsupported characters"

CONF="$DIR/ceph.conf"
LOGDIR="$DIR/log"
RUNDIR="$DIR/run"
PIDDIR="$DIR/pids"
ENDPOINT="http://127.0.0.1:$PORT"
DAEMONS_STOP_ORDER=(rgw osd mon)

SUDO=()
if ((EUID != 0)); then
  command -v sudo >/dev/null 2>&1 && SUDO=(sudo -n)
fi

# ---------------------------------------------------------------- install
REQUIRED_CMDS=(ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool curl timeout setsid)

missing_cmds() {
  local c out=()
  for c in "${REQUIRED_CMDS[@]}"; do
    command -v "$c" >/dev/null 2>&1 || out+=("$c")
  done
  echo "${out[*]}"
}

apt_run() { # apt_run LOGFILE args...: quiet, non-interactive, waits for the dpkg lock
  local logf=$1
  shift
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a \
    apt-get -q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "$@" >>"$logf" 2>&1 </dev/null
}

cmd_install() {
  local missing
  missing="$(missing_cmds)"
  [[ -z "$missing" ]] && return 0
  command -v apt-get >/dev/null 2>&1 ||
    fail "missing: $missing; apt-get not available, install Ceph (ceph-mon ceph-osd radosgw ceph-common) by hand"
  if ((EUID != 0)) && ((${#SUDO[@]} == 0)); then
    fail "missing: $missing; run as root (or with passwordless sudo) to install packages"
  fi
  local pkgs=(ceph-mon ceph-osd radosgw ceph-common)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl ca-certificates)
  command -v setsid >/dev/null 2>&1 || pkgs+=(util-linux)
  command -v timeout >/dev/null 2>&1 || pkgs+=(coreutils)
  local logf
  logf="$(mktemp -t local-s3-apt.XXXXXX.log)"
  log "installing ${pkgs[*]} (apt log: $logf)"
  # Try without `apt-get update` first (fast when the lists are fresh); on failure, update and retry.
  if ! apt_run "$logf" install --no-install-recommends "${pkgs[@]}"; then
    local i ok=0
    for i in 1 2 3; do
      if apt_run "$logf" update && apt_run "$logf" install --no-install-recommends "${pkgs[@]}"; then
        ok=1
        break
      fi
      log "apt-get failed (attempt $i/3), retrying"
      sleep $((i * 5))
    done
    if ((!ok)); then
      tail -n 30 "$logf" >&2 || true
      fail "package installation failed (full log: $logf)"
    fi
  fi
  hash -r
  missing="$(missing_cmds)"
  [[ -z "$missing" ]] || fail "still missing after install: $missing"
  rm -f "$logf"
  log "installed $(ceph --version 2>/dev/null | awk '{print $1, $2, $3}')"
}

# ---------------------------------------------------------------- helpers
http_code() { # prints the HTTP status of GET / (000 if no answer)
  curl -s -o /dev/null -w '%{http_code}' --connect-timeout 2 --max-time 5 "$ENDPOINT/" 2>/dev/null || true
}

s3_answering() {
  local code
  code="$(http_code)"
  [[ -n "$code" && "$code" != 000 ]]
}

port_in_use() { # something accepts TCP connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pid_of NAME: prints the pid from our pid file if that process is alive and is really ours
# (its command line names our ceph.conf); returns 1 otherwise.
pid_of() {
  local f="$PIDDIR/$1.pid" pid cmdline
  [[ -f "$f" ]] || return 1
  pid="$(tr -dc '0-9' <"$f")"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  cmdline="$({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)" || return 1
  [[ "$cmdline" == *" $CONF "* ]] || return 1
  # a zombie is not running
  [[ "$(awk '/^State:/{print $2}' "/proc/$pid/status" 2>/dev/null)" != Z ]] || return 1
  echo "$pid"
}

logfile_of() {
  case "$1" in
    mon) echo "$LOGDIR/mon.a.log" ;;
    osd) echo "$LOGDIR/osd.0.log" ;;
    rgw) echo "$LOGDIR/client.rgw.a.log" ;;
    *) echo "$LOGDIR/$1.log" ;;
  esac
}

show_logs() { # show_logs NAME...: tail of each daemon's log and console output
  local n f
  for n in "$@"; do
    for f in "$(logfile_of "$n")" "$LOGDIR/$n.out"; do
      if [[ -s "$f" ]]; then
        printf -- '----- tail of %s -----\n' "$f" >&2
        tail -n 25 "$f" >&2 || true
      fi
    done
  done
}

stop_daemons() { # SIGTERM our daemons, wait, SIGKILL after $STOP_GRACE s
  local n pid pids=() names=()
  for n in "${DAEMONS_STOP_ORDER[@]}"; do
    if pid="$(pid_of "$n")"; then
      pids+=("$pid")
      names+=("$n")
    fi
  done
  ((${#pids[@]})) || return 0
  log "stopping ${names[*]} (pids ${pids[*]})"
  # radosgw first: it shuts down faster while the cluster is still up.
  local i
  for i in "${!pids[@]}"; do
    if [[ "${names[$i]}" == rgw ]]; then kill -TERM "${pids[$i]}" 2>/dev/null || true; fi
  done
  local t0=$SECONDS alive
  while :; do
    alive=()
    for n in "${names[@]}"; do pid_of "$n" >/dev/null && alive+=("$n"); done
    ((${#alive[@]})) || break
    # once radosgw is gone (or after 8 s), stop the OSD and mon as well
    if [[ " ${alive[*]} " != *" rgw "* ]] || ((SECONDS >= t0 + 8)); then
      for n in osd mon; do
        if pid="$(pid_of "$n")"; then kill -TERM "$pid" 2>/dev/null || true; fi
      done
    fi
    if ((SECONDS >= t0 + STOP_GRACE)); then
      log "still alive after ${STOP_GRACE}s: ${alive[*]}; sending SIGKILL"
      for n in "${alive[@]}"; do
        if pid="$(pid_of "$n")"; then kill -KILL "$pid" 2>/dev/null || true; fi
      done
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  for n in "${names[@]}"; do
    pid_of "$n" >/dev/null && log "warning: $n is still running"
    rm -f "$PIDDIR/$n.pid"
  done
  return 0
}

remove_state_dir() {
  [[ -e "$DIR" ]] || return 0
  if [[ -f "$DIR/$MARKER" ]]; then
    rm -rf -- "$DIR"
  elif [[ -d "$DIR" ]] && rmdir -- "$DIR" 2>/dev/null; then
    :
  else
    fail "$DIR exists but was not created by this script; not removing it"
  fi
}

# ---------------------------------------------------------------- start
DEADLINE=0
STARTED_OK=0

time_left() { ((SECONDS < DEADLINE)); }

# startup failure: show the tail of the relevant log(s), stop what we started, exit 1
start_fail() {
  local msg=$1
  shift
  log "error: $msg"
  show_logs "$@"
  stop_daemons || true
  log "logs kept in $LOGDIR (removed by the next start/stop)"
  exit 1
}

on_start_exit() {
  local rc=$?
  if ((!STARTED_OK)); then
    trap - EXIT
    log "start failed (exit $rc)"
    stop_daemons || true
    exit $((rc == 0 ? 1 : rc))
  fi
}

# ceph CLI call; freshly started mons may refuse clients ('wrong fsid'), hence timeouts + retries
ceph_cli() { timeout 20 ceph -c "$CONF" --connect-timeout 10 "$@"; }

# retry_until DAEMON-TO-WATCH DESCRIPTION cmd...: retry until success or deadline; fail fast if
# the watched daemon died.
retry_until() {
  local watch=$1 what=$2
  shift 2
  while :; do
    if "$@" >>"$LOGDIR/cli.out" 2>&1; then return 0; fi
    if [[ -n "$watch" ]] && ! pid_of "$watch" >/dev/null; then
      start_fail "$watch exited while waiting for: $what" "$watch"
    fi
    time_left || start_fail "timed out (${START_TIMEOUT}s) waiting for: $what" ${watch:+"$watch"}
    sleep 0.25
  done
}

run_daemon() { # run_daemon NAME cmd...: start a foreground daemon detached, record its pid
  local name=$1
  shift
  # Own session, stdio to a file, cwd /, and no other inherited fds: a caller that waits for
  # EOF on a pipe it gave us (CI runners, `$(...)`, node's child_process) must not hang.
  (
    cd /
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
    done
    exec setsid "$@"
  ) </dev/null >>"$LOGDIR/$name.out" 2>&1 &
  echo "$!" >"$PIDDIR/$name.pid"
  sleep 0.05
  pid_of "$name" >/dev/null || { sleep 0.3; pid_of "$name" >/dev/null; } ||
    start_fail "$name did not start" "$name"
}

write_conf() {
  local fsid=$1
  cat >"$CONF" <<EOF
# Generated by scripts/local-s3.sh: throw-away one-node Ceph cluster for tests.
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind msgr2 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
keyring = $DIR/keyring
run dir = $RUNDIR
crash dir = $DIR/crash
log file = $LOGDIR/\$name.log
admin socket = $RUNDIR/\$name.asok
pid file = $RUNDIR/\$name.pid
log to stderr = false
err to stderr = true
log to syslog = false
mon cluster log file = $LOGDIR/cluster.log
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
osd crush chooseleaf type = 0
paxos propose interval = 0.1

[mon]
mon data = $DIR/mon/\$cluster-\$id

[osd.0]
osd data = $DIR/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = $((MEMSTORE_GIB * 1024 * 1024 * 1024))
osd max object name len = 460
osd max object namespace len = 64
osd crush update on start = false
osd class update on start = false

[client]
# CLI tools (ceph, radosgw-admin) log to files here, not to the terminal
log file = $LOGDIR/\$name.log

[client.rgw.a]
rgw data = $DIR/rgw
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
# lifecycle: one "day" lasts 10 s, so expiration rules can be seen at work in tests
rgw lc debug interval = 10
# a single LC worker: with several, they contend for shard locks and each loser sleeps 5 s
# uninterruptibly, which makes radosgw take 5-20 s to exit on SIGTERM
rgw lc max worker = 1
# allow SSE-C over plain http on loopback
rgw crypt require ssl = false
rgw enable usage log = false
EOF
}

cmd_start() {
  cmd_install

  if s3_answering; then
    if pid_of rgw >/dev/null; then
      log "already running at $ENDPOINT (state dir $DIR)"
      if ! timeout 30 radosgw-admin -c "$CONF" zonegroup get 2>/dev/null | grep -q '"GLACIER"'; then
        log "warning: started by an older version of this script, without the GLACIER and" \
          "STANDARD_IA storage classes; '$0 stop' and start again to add them"
      fi
      return 0
    fi
    fail "something else already answers on $ENDPOINT (not our radosgw from $DIR); set LOCAL_S3_PORT"
  fi

  local t0=${EPOCHREALTIME/[.,]/}
  DEADLINE=$((SECONDS + START_TIMEOUT))
  # leftovers of an earlier (failed or killed) run: stop our daemons and start afresh
  if [[ -e "$DIR" ]]; then
    stop_daemons
    remove_state_dir
  fi
  port_in_use "$PORT" && fail "port $PORT on 127.0.0.1 is in use; set LOCAL_S3_PORT"
  port_in_use "$MON_PORT" && fail "port $MON_PORT on 127.0.0.1 is in use; set LOCAL_S3_MON_PORT"

  mkdir -p "$DIR" "$LOGDIR" "$RUNDIR" "$PIDDIR" "$DIR/mon" "$DIR/osd/ceph-0" "$DIR/rgw" "$DIR/crash"
  : >"$DIR/$MARKER"
  trap on_start_exit EXIT

  local fsid osd_uuid
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
  write_conf "$fsid"
  log "starting Ceph RGW in $DIR (S3 port $PORT, mon port $MON_PORT)"

  # monitor (msgr v1 only: --addv with an explicit v1 address; plain --add would register msgr2)
  monmaptool --create --clobber --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$fsid" \
    "$DIR/monmap" >>"$LOGDIR/mkfs.out" 2>&1 || start_fail "monmaptool failed" mkfs
  ceph-mon -c "$CONF" -i a --mkfs --monmap "$DIR/monmap" >>"$LOGDIR/mkfs.out" 2>&1 ||
    start_fail "ceph-mon --mkfs failed" mkfs mon
  run_daemon mon ceph-mon -f -c "$CONF" -i a
  retry_until mon "monitor to answer" ceph_cli mon stat

  # OSD (memstore: data lives in RAM); --osd-uuid is required or the OSD never comes up
  retry_until mon "osd new" ceph_cli osd new "$osd_uuid" 0
  retry_until mon "crush add" ceph_cli osd crush add osd.0 1.0 root=default host=localhost
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >>"$LOGDIR/mkfs.out" 2>&1 ||
    start_fail "ceph-osd --mkfs failed" mkfs osd
  run_daemon osd ceph-osd -f -c "$CONF" -i 0
  retry_until osd "osd.0 to become active" osd_active

  # Storage classes besides STANDARD (GLACIER, STANDARD_IA) in the default placement, so tests can
  # write versions in an archive class. radosgw reads the zone only at startup: add them first.
  retry_until osd "storage classes" add_storage_classes

  # RADOS Gateway
  run_daemon rgw radosgw -f -c "$CONF" -n client.rgw.a
  retry_until rgw "S3 to answer on $ENDPOINT" s3_answering

  # S3 user with fixed credentials
  retry_until rgw "S3 user creation" create_user
  if curl --help all 2>/dev/null | grep -q -- --aws-sigv4; then
    retry_until rgw "signed S3 request to succeed" signed_list_buckets
  fi

  STARTED_OK=1
  trap - EXIT
  local ms=$(((${EPOCHREALTIME/[.,]/} - t0) / 1000))
  log "ready: $ENDPOINT (access key $ACCESS_KEY) in $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s; logs in $LOGDIR"
}

osd_active() {
  timeout 10 ceph --admin-daemon "$RUNDIR/osd.0.asok" status 2>/dev/null | grep -q '"state": "active"'
}

# GLACIER and STANDARD_IA, each in its own pool (created by radosgw on first write). Without a
# realm no `period update --commit` is needed. Idempotent.
add_storage_classes() {
  local class pool
  # before radosgw's first start the default zone does not exist yet; a full store init creates it
  timeout 30 radosgw-admin -c "$CONF" user list >/dev/null || return 1
  for class in GLACIER STANDARD_IA; do
    pool="default.rgw.$(tr 'A-Z_' 'a-z-' <<<"$class").data"
    timeout 30 radosgw-admin -c "$CONF" zonegroup placement add --rgw-zonegroup default \
      --placement-id default-placement --storage-class "$class" >/dev/null || return 1
    timeout 30 radosgw-admin -c "$CONF" zone placement add --rgw-zone default \
      --placement-id default-placement --storage-class "$class" --data-pool "$pool" >/dev/null || return 1
  done
}

create_user() {
  # --max-buckets=0: no limit (RGW's default is 1,000, which a session of test runs against one
  # server reaches: every test makes buckets of its own)
  if timeout 30 radosgw-admin -c "$CONF" user create --uid="$S3_UID" --display-name="s3-rollback tests" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" --max-buckets=0; then
    return 0
  fi
  # an earlier attempt may have succeeded after all
  timeout 30 radosgw-admin -c "$CONF" user info --uid="$S3_UID" | grep -q "\"access_key\": \"$ACCESS_KEY\""
}

signed_list_buckets() {
  local code
  # RGW (like AWS) requires x-amz-content-sha256; curl 7.88 does not send it by itself
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
    -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
    --aws-sigv4 "aws:amz:$REGION:s3" --user "$ACCESS_KEY:$SECRET_KEY" "$ENDPOINT/")" || return 1
  [[ "$code" == 200 ]]
}

# ---------------------------------------------------------------- other commands
cmd_stop() {
  if [[ ! -e "$DIR" ]]; then
    remove_lock
    log "not running (no $DIR)"
    return 0
  fi
  stop_daemons
  remove_state_dir
  remove_lock
  log "stopped; removed $DIR and $DIR.lock"
}

cmd_status() {
  if s3_answering; then
    log "answering at $ENDPOINT"
    return 0
  fi
  log "not answering at $ENDPOINT"
  return 1
}

cmd_env() {
  printf 'export S3_ENDPOINT_URL=%q\n' "$ENDPOINT"
  printf 'export AWS_ACCESS_KEY_ID=%q\n' "$ACCESS_KEY"
  printf 'export AWS_SECRET_ACCESS_KEY=%q\n' "$SECRET_KEY"
  printf 'export AWS_REGION=%q\n' "$REGION"
  printf 'export AWS_DEFAULT_REGION=%q\n' "$REGION"
}

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
}

# start/stop of one state dir are serialized (parallel test runners may call `start` at once)
# with a lock on $DIR.lock. `stop` removes that file while still holding the lock, so a waiter
# that then gets the lock checks it still holds the file at that path, and else takes it anew.
LOCK_HELD=""
with_lock() {
  if command -v flock >/dev/null 2>&1; then
    local lock="$DIR.lock" deadline=$((SECONDS + 180))
    while :; do
      exec 9>>"$lock"
      flock -w $((deadline > SECONDS ? deadline - SECONDS : 1)) 9 ||
        fail "timed out waiting for lock $lock"
      if [[ "$(stat -L -c %d:%i /dev/fd/9)" == "$(stat -c %d:%i "$lock" 2>/dev/null)" ]]; then
        LOCK_HELD=$lock
        break
      fi
      exec 9>&-
    done
  fi
  "$@"
}

remove_lock() { # only while holding it; the fd stays open (and locked) until we exit
  if [[ -n "$LOCK_HELD" ]]; then rm -f -- "$LOCK_HELD"; fi
}

case "${1:-}" in
  install) cmd_install ;;
  start) with_lock cmd_start ;;
  stop) with_lock cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  help | -h | --help) usage ;;
  *)
    usage
    exit 2
    ;;
esac
