#!/usr/bin/env bash
# Local development infrastructure without Docker:
#   - Apache Kafka 4.x, single node in KRaft combined mode (broker+controller)
#   - FerretDB 1.x (MongoDB wire protocol) on the embedded SQLite backend
#   - an SMTP server (aiosmtpd, from the project's .venv) that keeps every mail
#     it receives in a Maildir, for the tests that send real mail
#   - OpenSearch 2.x, a single node over plain HTTP (no security plugin),
#     assembled from Maven Central jars: the search service's distributed store
# All listen on 127.0.0.1 only. Everything (jar/module caches, the FerretDB
# binary, data, mail, logs, pid files) lives under one directory,
# $HELPDESK_INFRA_DIR (default: <repo root>/.infra); the downloaded and built
# caches may be taken from another, $HELPDESK_INFRA_CACHE, so a second, private
# set of components starts without fetching or building anything again.
# See deploy/local/README.md.
#
# Usage: deploy/local/infra.sh up|down|status|reset [COMPONENT...]
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

INFRA=${HELPDESK_INFRA_DIR:-$REPO_ROOT/.infra}
# Where the Maven repository, the Kafka classpath, the FerretDB binary and the
# OpenSearch home are kept: the state directory itself unless told otherwise.
CACHE=${HELPDESK_INFRA_CACHE:-$INFRA}
HOST=127.0.0.1
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
MONGO_PORT=${MONGO_PORT:-27017}
SMTP_PORT=${SMTP_PORT:-8025}
OPENSEARCH_PORT=${OPENSEARCH_PORT:-9200}
OPENSEARCH_TRANSPORT_PORT=${OPENSEARCH_TRANSPORT_PORT:-9300}
# The SMTP server is aiosmtpd, a dev dependency: `scripts/bootstrap.sh dev` installs it into .venv.
SMTP_PYTHON=${SMTP_PYTHON:-$REPO_ROOT/.venv/bin/python}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}
OPENSEARCH_HEAP_OPTS=${OPENSEARCH_HEAP_OPTS:--Xms512m -Xmx512m}
# OpenSearch refuses to run as root; started by root, it runs as this user.
OPENSEARCH_RUN_AS=${OPENSEARCH_RUN_AS:-nobody}
FERRETDB_LOG_LEVEL=${FERRETDB_LOG_LEVEL:-WARN}
START_TIMEOUT=${INFRA_START_TIMEOUT:-90}
STOP_TIMEOUT=${INFRA_STOP_TIMEOUT:-30}
PYTHON=${PYTHON:-python3}

COMPONENTS=(kafka ferretdb smtp opensearch)
# The components a command acts on: those named on its command line, else all.
SELECTED=("${COMPONENTS[@]}")

# ---------------------------------------------------------------- helpers --

log() { printf 'infra: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need() {
    command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not on PATH${2:+ ($2)}"
}

check_port_var() {
    local name=$1 value=$2
    if ! [[ $value =~ ^[0-9]+$ ]] || ((value < 1 || value > 65535)); then
        die "$name must be a TCP port number, got '$value'"
    fi
}

# Whether the command acts on component NAME.
selected() {
    local name
    for name in "${SELECTED[@]}"; do
        [[ $name == "$1" ]] && return 0
    done
    return 1
}

# select_components NAME...: act on these only (in the usual order, each
# once); none: on all of them.
select_components() {
    (($#)) || return 0
    local name arg known
    for arg; do
        known=0
        for name in "${COMPONENTS[@]}"; do
            [[ $arg == "$name" ]] && known=1
        done
        ((known)) || die "unknown component '$arg' (choose among: ${COMPONENTS[*]})"
    done
    SELECTED=()
    for name in "${COMPONENTS[@]}"; do
        for arg; do
            if [[ $arg == "$name" ]]; then
                SELECTED+=("$name")
                break
            fi
        done
    done
}

init_paths() {
    mkdir -p "$INFRA" "$CACHE"
    INFRA=$(cd "$INFRA" && pwd)
    CACHE=$(cd "$CACHE" && pwd)
    LOGS=$INFRA/logs
    RUN=$INFRA/run
    KAFKA_HOME=$INFRA/kafka
    KAFKA_LIBS=$CACHE/kafka/libs
    KAFKA_DATA=$KAFKA_HOME/data
    KAFKA_CONF=$KAFKA_HOME/config/server.properties
    FDB_HOME=$INFRA/ferretdb
    FDB_BIN=$CACHE/bin/ferretdb
    FDB_DATA=$FDB_HOME/data
    FDB_STATE=$FDB_HOME/state
    MAIL_DIR=$INFRA/mail
    OS_HOME=$CACHE/opensearch/home
    OS_CONF=$INFRA/opensearch/config
    OS_DATA=$INFRA/opensearch/data
    OS_LOGS=$INFRA/opensearch/logs
    OS_TMP=$INFRA/opensearch/tmp
    mkdir -p "$LOGS" "$RUN"
}

# Serialise mutating commands (up/down/reset) so concurrent callers do not
# start two brokers. fd 9 (and lock_cache's fd 8) is closed for the daemons
# (see launch()).
take_lock() {
    need flock "util-linux"
    exec 9>"$RUN/infra.lock"
    flock -w 900 9 || die "another infra.sh is still running (lock: $RUN/infra.lock)"
}

# Before (re)building a cache kept in another state directory: hold that
# directory's lock too (fd 8), so a build there or here does not replace the
# files under the other. A no-op when the caches are this directory's own,
# whose lock up/down/reset already hold.
lock_cache() {
    [[ $CACHE != "$INFRA" ]] || return 0
    mkdir -p "$CACHE/run"
    exec 8>"$CACHE/run/infra.lock"
    flock -w 900 8 || die "another infra.sh is still running in $CACHE (lock: $CACHE/run/infra.lock)"
}

log_file() { printf '%s/%s.log' "$LOGS" "$1"; }
pid_file() { printf '%s/%s.pid' "$RUN" "$1"; }
ports_file() { printf '%s/%s.ports' "$RUN" "$1"; }

# The ports a component is configured for by the current environment; saved
# next to the pid file at start so a mismatch can be reported.
ports_of() {
    case $1 in
        kafka) printf 'KAFKA_PORT=%s KAFKA_CONTROLLER_PORT=%s\n' "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" ;;
        ferretdb) printf 'MONGO_PORT=%s\n' "$MONGO_PORT" ;;
        smtp) printf 'SMTP_PORT=%s\n' "$SMTP_PORT" ;;
        opensearch) printf 'OPENSEARCH_PORT=%s OPENSEARCH_TRANSPORT_PORT=%s\n' "$OPENSEARCH_PORT" "$OPENSEARCH_TRANSPORT_PORT" ;;
    esac
}

started_ports() { cat "$(ports_file "$1")" 2>/dev/null || true; }

# Refuse to treat a component started with other port settings as "up".
check_running_ports() {
    local name=$1 have
    have=$(started_ports "$name")
    if [[ -n $have && $have != "$(ports_of "$name")" ]]; then
        die "$name is already running with $have, but this environment asks for $(ports_of "$name"); run 'infra.sh down' first"
    fi
}

# Prints the pid of a running component, or returns 1. The command line is
# checked too, so a stale pid file whose pid got reused does not count.
pid_of() {
    local name=$1 file pid pattern
    file=$(pid_file "$name")
    [[ -f $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    case $name in
        kafka) pattern="kafka.Kafka $KAFKA_CONF" ;;
        ferretdb) pattern="$FDB_BIN --handler" ;;
        smtp) pattern="-m aiosmtpd -n -l $HOST:" ;;
        opensearch) pattern="-Dopensearch.path.conf=$OS_CONF -cp $OS_HOME/lib/* org.opensearch.bootstrap.OpenSearch" ;;
    esac
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern" || return 1
    printf '%s\n' "$pid"
}

probe() { "$PYTHON" "$SCRIPT_DIR/healthcheck.py" "$@" 2>/dev/null; }

# Fails when something that is not ours already listens on the port.
ensure_port_free() {
    local port=$1 what=$2 owner=""
    if probe port "$HOST" "$port"; then
        if command -v ss >/dev/null 2>&1; then
            owner=$(ss -Htlnp "sport = :$port" 2>/dev/null | grep -o 'users:(([^)]*))' | head -n1 || true)
        fi
        die "port $HOST:$port (needed by $what) is already in use${owner:+ by $owner}; stop that process or override the port (see deploy/local/README.md)"
    fi
}

rotate_log() {
    local file=$1
    if [[ -f $file ]] && (($(stat -c %s "$file") > 64 * 1024 * 1024)); then
        mv -f "$file" "$file.1"
    fi
}

# launch NAME CMD...: start CMD detached (own session, no controlling tty,
# stdin from /dev/null, output appended to the component log) and record
# its pid. The pid is written by the process itself right before exec, so
# it is the daemon's pid whatever setsid does.
launch() {
    local name=$1
    shift
    local log pidf
    log=$(log_file "$name")
    pidf=$(pid_file "$name")
    rm -f "$pidf"
    ports_of "$name" >"$(ports_file "$name")"
    rotate_log "$log"
    printf '===== %s infra.sh: starting %s =====\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" >>"$log"
    # shellcheck disable=SC2016 # expanded by the inner shell
    nohup setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' infra-launch "$pidf" "$@" \
        </dev/null >>"$log" 2>&1 8>&- 9>&- &
    disown 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
        [[ -s $pidf ]] && return 0
        sleep 0.1
    done
    die "$name did not start (no pid file); see $log"
}

# Print the end of a component's log, from its latest start marker on.
show_log_tail() {
    local name=$1 log from
    log=$(log_file "$name")
    [[ -f $log ]] || return 0
    from=$(grep -n "infra\.sh: starting $name =====\$" "$log" | tail -n1 | cut -d: -f1 || true)
    log "last lines of $log:"
    tail -n "+${from:-1}" "$log" | tail -n "${2:-40}" >&2 || true
}

# ------------------------------------------------------------------ Kafka --

kafka_version() {
    sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$SCRIPT_DIR/kafka/pom.xml" | head -n1
}

kafka_pom_hash() { sha256sum "$SCRIPT_DIR/kafka/pom.xml" | cut -d' ' -f1; }

java_bin() {
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then
        printf '%s\n' "$JAVA_HOME/bin/java"
    else
        need java "Java 17 or newer"
        command -v java
    fi
}

java_major() {
    "$1" -XshowSettings:properties -version 2>&1 |
        sed -n 's/^ *java\.specification\.version = //p' | cut -d. -f1
}

# check_java JAVA WHAT: WHAT (e.g. "Kafka 4.2.2") needs Java 17 or newer.
check_java() {
    local java=$1 major
    major=$(java_major "$java")
    if ! [[ $major =~ ^[0-9]+$ ]] || ((major < 17)); then
        die "$2 needs Java 17 or newer ($java reports '${major:-unknown}')"
    fi
}

kafka_libs_current() { [[ -f $KAFKA_LIBS/.pom.sha256 && $(<"$KAFKA_LIBS/.pom.sha256") == "$1" ]]; }

# Resolve the broker's runtime classpath from Maven Central into
# $CACHE/kafka/libs. Cached: redone only when kafka/pom.xml changes.
ensure_kafka_libs() {
    local want
    want=$(kafka_pom_hash)
    kafka_libs_current "$want" && return 0
    lock_cache
    kafka_libs_current "$want" && return 0
    need mvn "Apache Maven"
    local tmp=$KAFKA_LIBS.tmp fetch_log=$LOGS/kafka-fetch.log
    log "resolving Kafka $(kafka_version) jars with Maven (cached in $CACHE/m2)..."
    rm -rf "$tmp"
    if ! mvn -q -B -f "$SCRIPT_DIR/kafka/pom.xml" \
        -Dmaven.repo.local="$CACHE/m2" \
        dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime >"$fetch_log" 2>&1; then
        tail -n 40 "$fetch_log" >&2 || true
        die "resolving Kafka jars failed; full output in $fetch_log"
    fi
    printf '%s\n' "$want" >"$tmp/.pom.sha256"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
}

write_kafka_config() {
    mkdir -p "$(dirname "$KAFKA_CONF")" "$KAFKA_DATA"
    cat >"$KAFKA_CONF" <<EOF
# Generated by deploy/local/infra.sh on every start; edit the script instead.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
EOF
}

# Format the KRaft log directory once (static single-voter quorum, so no
# --standalone is needed and the ports may change between runs).
format_kafka_storage() {
    local java=$1
    [[ -f $KAFKA_DATA/meta.properties ]] && return 0
    local log cluster_id
    log=$(log_file kafka)
    cluster_id=$("$java" -cp "$KAFKA_LIBS/*" \
        -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2-tools.properties" \
        kafka.tools.StorageTool random-uuid 2>>"$log") || true
    [[ $cluster_id =~ ^[A-Za-z0-9_-]{22}$ ]] || die "could not generate a Kafka cluster id (got '$cluster_id'); see $log"
    log "formatting Kafka storage in $KAFKA_DATA (cluster id $cluster_id)"
    if ! "$java" -cp "$KAFKA_LIBS/*" \
        -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2-tools.properties" \
        kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_CONF" >>"$log" 2>&1; then
        show_log_tail kafka 20
        die "formatting Kafka storage failed"
    fi
}

start_kafka() {
    local pid
    if pid=$(pid_of kafka); then
        check_running_ports kafka
        return 0
    fi
    ensure_port_free "$KAFKA_PORT" "Kafka (KAFKA_PORT)"
    ensure_port_free "$KAFKA_CONTROLLER_PORT" "the Kafka controller (KAFKA_CONTROLLER_PORT)"
    local java
    java=$(java_bin)
    check_java "$java" "Kafka $(kafka_version)"
    ensure_kafka_libs
    write_kafka_config
    format_kafka_storage "$java"
    local -a heap
    read -r -a heap <<<"$KAFKA_HEAP_OPTS"
    launch kafka "$java" "${heap[@]}" \
        -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
        -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true -Dkafka.logs.dir="$LOGS" \
        -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.properties" \
        -Dlog4j2.shutdownHookEnabled=false \
        -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_CONF"
    log "started Kafka (pid $(<"$(pid_file kafka)"))"
}

# The broker must answer an ApiVersions request and must have logged
# "Kafka Server started" since its last start marker.
kafka_healthy() {
    pid_of kafka >/dev/null || return 1
    probe kafka "$HOST" "$KAFKA_PORT" || return 1
    awk '/^===== .* infra\.sh: starting kafka =====$/ { ok = 0 }
         /Kafka Server started/ { ok = 1 }
         END { exit !ok }' "$(log_file kafka)" 2>/dev/null
}

# --------------------------------------------------------------- FerretDB --

ferretdb_pinned_version() {
    awk '$1 == "github.com/FerretDB/FerretDB" { print $2; exit }' "$SCRIPT_DIR/ferretdb/go.mod"
}

ferretdb_bin_version() {
    [[ -x $FDB_BIN ]] || return 0
    "$FDB_BIN" --version 2>/dev/null | awk '$1 == "version:" { print $2; exit }' || true
}

# Build FerretDB from the pinned module in deploy/local/ferretdb. Cached:
# skipped while $CACHE/bin/ferretdb reports the pinned version.
#
# FerretDB's build/version package embeds build/version/version.txt, which a
# release build generates from git and which module zips do not contain; a
# plain build of cmd/ferretdb therefore panics at start-up. The build below
# vendors the module into a scratch copy of the wrapper module and supplies
# version.txt there.
ensure_ferretdb_bin() {
    local want have
    want=$(ferretdb_pinned_version)
    [[ -n $want ]] || die "cannot read the FerretDB version from $SCRIPT_DIR/ferretdb/go.mod"
    [[ $(ferretdb_bin_version) == "$want" ]] && return 0
    lock_cache
    have=$(ferretdb_bin_version)
    [[ $have == "$want" ]] && return 0
    need go "Go 1.24 or newer"
    local build=$FDB_HOME/build build_log=$LOGS/ferretdb-build.log
    log "building FerretDB $want (first run only, takes about a minute)..."
    rm -rf "$build"
    mkdir -p "$build" "$(dirname "$FDB_BIN")"
    cp "$SCRIPT_DIR/ferretdb/go.mod" "$SCRIPT_DIR/ferretdb/go.sum" "$build/"
    if ! (
        cd "$build"
        export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/cache" CGO_ENABLED=0
        export GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw"
        set -x
        go mod vendor
        printf '%s\n' "$want" >vendor/github.com/FerretDB/FerretDB/build/version/version.txt
        go build -mod=vendor -trimpath -o "$FDB_BIN.tmp" github.com/FerretDB/FerretDB/cmd/ferretdb
    ) >"$build_log" 2>&1; then
        tail -n 40 "$build_log" >&2 || true
        die "building FerretDB failed; full output in $build_log"
    fi
    have=$("$FDB_BIN.tmp" --version 2>>"$build_log" | awk '$1 == "version:" { print $2; exit }' || true)
    [[ $have == "$want" ]] || die "the built FerretDB binary reports version '$have', expected '$want'; see $build_log"
    mv -f "$FDB_BIN.tmp" "$FDB_BIN"
    # The binary is the cache; the module and build caches (~1 GB) are only
    # needed again when the pinned version changes.
    rm -rf "$build" "$CACHE/go"
}

start_ferretdb() {
    local pid
    if pid=$(pid_of ferretdb); then
        check_running_ports ferretdb
        return 0
    fi
    ensure_port_free "$MONGO_PORT" "FerretDB (MONGO_PORT)"
    ensure_ferretdb_bin
    mkdir -p "$FDB_DATA" "$FDB_STATE"
    launch ferretdb "$FDB_BIN" \
        --handler=sqlite \
        --sqlite-url="file:$FDB_DATA/" \
        --listen-addr="$HOST:$MONGO_PORT" \
        --state-dir="$FDB_STATE" \
        --telemetry=disable \
        --debug-addr=- \
        --log-level="$FERRETDB_LOG_LEVEL" \
        --log-format=text
    log "started FerretDB (pid $(<"$(pid_file ferretdb)"))"
}

ferretdb_healthy() {
    pid_of ferretdb >/dev/null || return 1
    probe mongo "$HOST" "$MONGO_PORT"
}

# ------------------------------------------------------------------- SMTP --

smtp_version() {
    "$SMTP_PYTHON" -c 'import importlib.metadata as m; print(m.version("aiosmtpd"))' 2>/dev/null || echo "(not installed)"
}

# aiosmtpd's own Mailbox handler: every mail received is added to the Maildir
# $INFRA/mail as it came (tests read it back with Python's mailbox.Maildir).
# `-n`: stay the user who started it (as root it would switch to nobody).
start_smtp() {
    local pid
    if pid=$(pid_of smtp); then
        check_running_ports smtp
        return 0
    fi
    ensure_port_free "$SMTP_PORT" "the SMTP server (SMTP_PORT)"
    "$SMTP_PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
        die "the SMTP server needs aiosmtpd in $SMTP_PYTHON; run scripts/bootstrap.sh dev first"
    # The Maildir's own folders: the handler makes them only when it makes the Maildir itself.
    mkdir -p "$MAIL_DIR/cur" "$MAIL_DIR/new" "$MAIL_DIR/tmp"
    launch smtp "$SMTP_PYTHON" -m aiosmtpd -n -l "$HOST:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$MAIL_DIR"
    log "started the SMTP server (pid $(<"$(pid_file smtp)"))"
}

smtp_healthy() {
    pid_of smtp >/dev/null || return 1
    probe smtp "$HOST" "$SMTP_PORT"
}

# ------------------------------------------------------------- OpenSearch --

opensearch_version() {
    sed -n 's:.*<opensearch.version>\(.*\)</opensearch.version>.*:\1:p' "$SCRIPT_DIR/opensearch/pom.xml" | head -n1
}

# One hash over everything the home is assembled from: the pom and each
# module's descriptor and security policy.
opensearch_sources_hash() {
    (
        cd "$SCRIPT_DIR/opensearch"
        find pom.xml modules -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    ) | sha256sum | cut -d' ' -f1
}

opensearch_home_current() { [[ -f $OS_HOME/.sources.sha256 && $(<"$OS_HOME/.sources.sha256") == "$1" ]]; }

# Assemble an OpenSearch home in $CACHE/opensearch/home the way its
# distribution lays one out: lib/ (the server's classpath) and modules/<name>/
# (each module's own jars, descriptor and security policy), resolved from
# Maven Central by the executions of opensearch/pom.xml, one per folder.
# Cached: redone only when a file in deploy/local/opensearch/ (other than
# log4j2.properties, copied on every start) changes.
ensure_opensearch_home() {
    local want
    want=$(opensearch_sources_hash)
    opensearch_home_current "$want" && return 0
    lock_cache
    opensearch_home_current "$want" && return 0
    need mvn "Apache Maven"
    local tmp=$OS_HOME.tmp fetch_log=$LOGS/opensearch-fetch.log version module name file
    local -a executions=(dependency:copy-dependencies@lib)
    version=$(opensearch_version)
    for module in "$SCRIPT_DIR"/opensearch/modules/*/; do
        executions+=("dependency:copy-dependencies@$(basename "$module")")
    done
    log "resolving OpenSearch $version jars with Maven (cached in $CACHE/m2)..."
    rm -rf "$tmp"
    if ! mvn -q -B -f "$SCRIPT_DIR/opensearch/pom.xml" \
        -Dmaven.repo.local="$CACHE/m2" -Dopensearch.home="$tmp" \
        "${executions[@]}" >"$fetch_log" 2>&1; then
        tail -n 40 "$fetch_log" >&2 || true
        die "resolving OpenSearch jars failed; full output in $fetch_log"
    fi
    for module in "$SCRIPT_DIR"/opensearch/modules/*/; do
        name=$(basename "$module")
        compgen -G "$tmp/modules/$name/*.jar" >/dev/null ||
            die "no jars for the OpenSearch module $name: opensearch/pom.xml needs an execution with id '$name'"
        for file in "$module"*; do
            sed "s/@OPENSEARCH_VERSION@/$version/g" "$file" >"$tmp/modules/$name/$(basename "$file")"
        done
    done
    # The node creates bin/ and plugins/ when they are missing, and may not be
    # able to write here; the whole home must be readable by the user it runs as.
    mkdir -p "$tmp/bin" "$tmp/plugins"
    chmod -R a+rX "$tmp"
    printf '%s\n' "$want" >"$tmp/.sources.sha256"
    rm -rf "$OS_HOME"
    mv "$tmp" "$OS_HOME"
}

# OpenSearch refuses to run as root. Started by root (a fresh CI machine),
# the node runs as $OPENSEARCH_RUN_AS: sets OS_OWNER to that uid:gid and
# OS_RUN_AS to the setpriv command that switches to it; both empty otherwise.
opensearch_identity() {
    OS_OWNER=""
    OS_RUN_AS=()
    ((EUID == 0)) || return 0
    need setpriv "util-linux"
    local uid gid
    uid=$(id -u "$OPENSEARCH_RUN_AS" 2>/dev/null) || die "OPENSEARCH_RUN_AS=$OPENSEARCH_RUN_AS is not a user on this machine"
    ((uid != 0)) || die "OPENSEARCH_RUN_AS must not be root: OpenSearch refuses to run as root"
    gid=$(id -g "$OPENSEARCH_RUN_AS")
    OS_OWNER=$uid:$gid
    OS_RUN_AS=(setpriv "--reuid=$uid" "--regid=$gid" --clear-groups)
}

write_opensearch_config() {
    mkdir -p "$OS_CONF" "$OS_DATA" "$OS_LOGS" "$OS_TMP"
    cp "$SCRIPT_DIR/opensearch/log4j2.properties" "$OS_CONF/log4j2.properties"
    local max_map_count allow_mmap=true
    max_map_count=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 0)
    ((max_map_count >= 262144)) || allow_mmap=false
    cat >"$OS_CONF/opensearch.yml" <<EOF
# Generated by deploy/local/infra.sh on every start; edit the script instead.
cluster.name: helpdesk-local
node.name: local
path.data: $OS_DATA
path.logs: $OS_LOGS
network.host: $HOST
http.port: $OPENSEARCH_PORT
transport.port: $OPENSEARCH_TRANSPORT_PORT
discovery.type: single-node
bootstrap.memory_lock: false
# A shared disk filling up must not turn the indices read-only.
cluster.routing.allocation.disk.threshold_enabled: false
# Memory-mapped index files need vm.max_map_count >= 262144 (it is $max_map_count here).
node.store.allow_mmap: $allow_mmap
EOF
}

start_opensearch() {
    local pid
    if pid=$(pid_of opensearch); then
        check_running_ports opensearch
        return 0
    fi
    ensure_port_free "$OPENSEARCH_PORT" "OpenSearch (OPENSEARCH_PORT)"
    ensure_port_free "$OPENSEARCH_TRANSPORT_PORT" "the OpenSearch transport (OPENSEARCH_TRANSPORT_PORT)"
    local java major
    java=$(java_bin)
    check_java "$java" "OpenSearch $(opensearch_version)"
    major=$(java_major "$java")
    ensure_opensearch_home
    write_opensearch_config
    opensearch_identity
    if [[ -n $OS_OWNER ]]; then
        # The node writes its keystore into the config directory, its index
        # files, and temporary native libraries; everything else it only reads.
        chown -R "$OS_OWNER" "$OS_CONF" "$OS_DATA" "$OS_LOGS" "$OS_TMP"
        "${OS_RUN_AS[@]}" test -r "$OS_HOME/lib/opensearch-$(opensearch_version).jar" -a -w "$OS_DATA" ||
            die "OpenSearch runs as $OPENSEARCH_RUN_AS, which cannot read $OS_HOME or write $OS_DATA (is a parent directory of $INFRA closed to other users?); set HELPDESK_INFRA_DIR to a directory it can reach, or OPENSEARCH_RUN_AS to a user who can"
    fi
    local -a heap jdk_specific=()
    # Date formats as the distribution parses them: the COMPAT locale data
    # until Java 23 removed it. Java 18+ only installs a security manager
    # (which OpenSearch 2.x runs its modules under) when told it may.
    if ((major < 23)); then
        jdk_specific+=("-Djava.locale.providers=SPI,COMPAT")
    else
        jdk_specific+=("-Djava.locale.providers=SPI,CLDR")
    fi
    ((major < 18)) || jdk_specific+=(-Djava.security.manager=allow)
    read -r -a heap <<<"$OPENSEARCH_HEAP_OPTS"
    # The flags below are the ones the distribution's launcher passes, except
    # that an OutOfMemoryError ends the node instead of dumping the heap, and
    # without -XX:+AlwaysPreTouch, which would make the whole heap resident.
    launch opensearch "${OS_RUN_AS[@]}" "$java" "${heap[@]}" \
        -XX:+UseG1GC -XX:G1ReservePercent=25 -XX:InitiatingHeapOccupancyPercent=30 \
        -XX:+ExitOnOutOfMemoryError -XX:ErrorFile="$OS_LOGS/hs_err_pid%p.log" \
        -Xss1m -XX:-OmitStackTraceInFastThrow -XX:+ShowCodeDetailsInExceptionMessages \
        -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djna.nosys=true \
        -Djava.io.tmpdir="$OS_TMP" \
        -Dopensearch.networkaddress.cache.ttl=60 -Dopensearch.networkaddress.cache.negative.ttl=10 \
        -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true \
        -Dio.netty.recycler.maxCapacityPerThread=0 -Dio.netty.allocator.numDirectArenas=0 \
        -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
        "${jdk_specific[@]}" \
        -Dopensearch.path.home="$OS_HOME" \
        -Dopensearch.path.conf="$OS_CONF" -cp "$OS_HOME/lib/*" org.opensearch.bootstrap.OpenSearch
    log "started OpenSearch (pid $(<"$(pid_file opensearch)")${OS_OWNER:+, as $OPENSEARCH_RUN_AS})"
}

opensearch_healthy() {
    pid_of opensearch >/dev/null || return 1
    probe opensearch "$HOST" "$OPENSEARCH_PORT"
}

# ----------------------------------------------------------------- status --

healthy() { "${1}_healthy"; }

status_line() {
    local name=$1 pid state detail
    case $name in
        kafka) detail="$HOST:$KAFKA_PORT (controller $HOST:$KAFKA_CONTROLLER_PORT)  Kafka $(kafka_version)" ;;
        ferretdb) detail="mongodb://$HOST:$MONGO_PORT/  FerretDB $(ferretdb_pinned_version)" ;;
        smtp) detail="smtp://$HOST:$SMTP_PORT  aiosmtpd $(smtp_version), mail in $MAIL_DIR" ;;
        opensearch) detail="http://$HOST:$OPENSEARCH_PORT (transport $HOST:$OPENSEARCH_TRANSPORT_PORT)  OpenSearch $(opensearch_version)" ;;
    esac
    if pid=$(pid_of "$name"); then
        if healthy "$name"; then
            state="running"
        else
            state="UNHEALTHY"
        fi
        if [[ $state != running && -n $(started_ports "$name") && $(started_ports "$name") != "$(ports_of "$name")" ]]; then
            detail+="  (started with $(started_ports "$name"))"
        fi
        printf '%-10s %-9s pid %-7s %s\n' "$name" "$state" "$pid" "$detail"
        [[ $state == running ]]
    else
        printf '%-10s %-9s %-11s %s\n' "$name" "stopped" "" "$detail"
        return 1
    fi
}

cmd_status() {
    local rc=0 name
    for name in "${SELECTED[@]}"; do
        status_line "$name" || rc=1
    done
    return "$rc"
}

# ------------------------------------------------------------------ up/down --

wait_healthy() {
    local deadline=$((SECONDS + START_TIMEOUT)) name failed=0
    local -A done_=()
    while :; do
        local pending=0
        for name in "${SELECTED[@]}"; do
            [[ -n ${done_[$name]:-} ]] && continue
            if healthy "$name"; then
                done_[$name]=1
            elif ! pid_of "$name" >/dev/null; then
                log "$name exited during start-up"
                show_log_tail "$name"
                done_[$name]=failed
                failed=1
            else
                pending=1
            fi
        done
        ((pending)) || break
        if ((SECONDS >= deadline)); then
            for name in "${SELECTED[@]}"; do
                [[ -z ${done_[$name]:-} ]] || continue
                log "$name is not healthy after ${START_TIMEOUT}s (still running; 'infra.sh down' stops it)"
                show_log_tail "$name"
            done
            failed=1
            break
        fi
        sleep 0.25
    done
    return "$failed"
}

cmd_up() {
    take_lock
    local started=$SECONDS
    # Check every port before starting anything, so a conflict does not leave
    # one component half started.
    if selected kafka && ! pid_of kafka >/dev/null; then
        ensure_port_free "$KAFKA_PORT" "Kafka (KAFKA_PORT)"
        ensure_port_free "$KAFKA_CONTROLLER_PORT" "the Kafka controller (KAFKA_CONTROLLER_PORT)"
    fi
    if selected ferretdb && ! pid_of ferretdb >/dev/null; then
        ensure_port_free "$MONGO_PORT" "FerretDB (MONGO_PORT)"
    fi
    if selected smtp && ! pid_of smtp >/dev/null; then
        ensure_port_free "$SMTP_PORT" "the SMTP server (SMTP_PORT)"
    fi
    if selected opensearch && ! pid_of opensearch >/dev/null; then
        ensure_port_free "$OPENSEARCH_PORT" "OpenSearch (OPENSEARCH_PORT)"
        ensure_port_free "$OPENSEARCH_TRANSPORT_PORT" "the OpenSearch transport (OPENSEARCH_TRANSPORT_PORT)"
    fi
    # The JVMs first, the slowest to start (Kafka ~10 s, OpenSearch ~12 s on
    # two idle cores): they start while FerretDB is being built/started.
    local name
    for name in kafka opensearch ferretdb smtp; do
        if selected "$name"; then
            "start_$name"
        fi
    done
    if ! wait_healthy; then
        cmd_status || true
        die "start-up failed (logs in $LOGS)"
    fi
    cmd_status
    log "up in $((SECONDS - started))s (state in $INFRA)"
}

stop_component() {
    local name=$1 pid i
    if ! pid=$(pid_of "$name"); then
        rm -f "$(pid_file "$name")" "$(ports_file "$name")"
        printf '%-10s %s\n' "$name" "not running"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        pid_of "$name" >/dev/null || break
        sleep 0.1
    done
    if pid_of "$name" >/dev/null; then
        log "$name (pid $pid) did not stop within ${STOP_TIMEOUT}s, killing it"
        kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            pid_of "$name" >/dev/null || break
            sleep 0.1
        done
    fi
    rm -f "$(pid_file "$name")" "$(ports_file "$name")"
    printf '%-10s %s\n' "$name" "stopped (was pid $pid)"
}

cmd_down() {
    take_lock
    local name
    # The SMTP server and FerretDB first (fast), then the JVMs (OpenSearch
    # flushes its shards, the broker shuts down under control; a few s each).
    for name in smtp ferretdb opensearch kafka; do
        if selected "$name"; then
            stop_component "$name"
        fi
    done
}

# The data a component keeps in the state directory (not its caches).
data_of() {
    case $1 in
        kafka) printf '%s\n' "$KAFKA_DATA" "$(dirname "$KAFKA_CONF")" ;;
        ferretdb) printf '%s\n' "$FDB_DATA" "$FDB_STATE" ;;
        smtp) printf '%s\n' "$MAIL_DIR" ;;
        opensearch) printf '%s\n' "$OS_DATA" "$OS_CONF" "$OS_LOGS" "$OS_TMP" ;;
    esac
}

cmd_reset() {
    cmd_down
    log "wiping data and logs of ${SELECTED[*]} (caches in $CACHE are kept)"
    local name path
    for name in "${SELECTED[@]}"; do
        while IFS= read -r path; do
            rm -rf "$path"
        done < <(data_of "$name")
        rm -f "$LOGS/$name".log*
    done
}

usage() {
    cat <<EOF
Usage: $(basename "$0") up|down|status|reset [COMPONENT...]

  up      fetch/build what is missing, start Kafka, FerretDB, the SMTP server and OpenSearch, wait until healthy
  down    stop them (TERM, then KILL after \$INFRA_STOP_TIMEOUT s)
  status  print the state of each; exit 0 only if all are healthy
  reset   stop them and delete their data, mail and logs (keeps downloaded/built caches)

Components: ${COMPONENTS[*]} (default: all of them)
State directory: \${HELPDESK_INFRA_DIR:-<repo>/.infra}
Caches (jars, FerretDB binary, OpenSearch home): \${HELPDESK_INFRA_CACHE:-the state directory}
Ports: KAFKA_PORT=$KAFKA_PORT KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT MONGO_PORT=$MONGO_PORT SMTP_PORT=$SMTP_PORT
       OPENSEARCH_PORT=$OPENSEARCH_PORT OPENSEARCH_TRANSPORT_PORT=$OPENSEARCH_TRANSPORT_PORT
EOF
}

main() {
    local cmd=${1:-}
    case $cmd in
        up | down | status | reset) ;;
        -h | --help | help) usage; return 0 ;;
        *) usage >&2; return 2 ;;
    esac
    shift
    select_components "$@"
    check_port_var KAFKA_PORT "$KAFKA_PORT"
    check_port_var KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT"
    check_port_var MONGO_PORT "$MONGO_PORT"
    check_port_var SMTP_PORT "$SMTP_PORT"
    check_port_var OPENSEARCH_PORT "$OPENSEARCH_PORT"
    check_port_var OPENSEARCH_TRANSPORT_PORT "$OPENSEARCH_TRANSPORT_PORT"
    [[ $START_TIMEOUT =~ ^[0-9]+$ ]] || die "INFRA_START_TIMEOUT must be a number of seconds"
    [[ $STOP_TIMEOUT =~ ^[0-9]+$ ]] || die "INFRA_STOP_TIMEOUT must be a number of seconds"
    need "$PYTHON" "used for health checks"
    init_paths
    "cmd_$cmd"
}

main "$@"
