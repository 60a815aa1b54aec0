#!/bin/bash
# pgwarden migrate through PgBouncer: in pool_mode = transaction a session
# advisory lock protects nothing, so migrate refuses (exit 3, nothing
# changed); in pool_mode = session it works.  Skipped (passing) when
# pgbouncer is not installed (scripts/install-deps.sh installs it).
. "$(dirname "$0")/../lib.sh"

bouncer=$(command -v pgbouncer || ls /usr/sbin/pgbouncer 2>/dev/null)
if [ -z "$bouncer" ]; then
    echo "$TEST_NAME: skipped (no pgbouncer)"
    exit 0
fi

db=$(fresh_db pool) || { fail "cannot make a database"; finish; }
dbn=t_${TEST_NAME}_pool
sockdir=$(echo "$PGW_TEST_URL" | sed 's|.*host=\([^&]*\).*|\1|; s|%2[Ff]|/|g')
port=$(echo "$PGW_TEST_URL" | sed 's|.*port=\([0-9]*\).*|\1|')
user=$(sql "$db" "SELECT current_user")

# start_bouncer MODE — a pgbouncer on a free port in front of the test cluster
BOUNCER_PID=
start_bouncer() {
    local mode=$1 dir="$SCRATCH/bouncer-$1"
    mkdir -p "$dir" && chmod 777 "$dir"
    bport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf '"%s" ""\n' "$user" > "$dir/users.txt"
    cat > "$dir/pgbouncer.ini" <<EOF
[databases]
$dbn = host=$sockdir port=$port dbname=$dbn
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = $mode
default_pool_size = 4
ignore_startup_parameters = extra_float_digits
query_wait_timeout = 10
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
    chmod 644 "$dir"/*
    if [ "$(id -u)" = 0 ]; then
        "$bouncer" -d -u postgres "$dir/pgbouncer.ini" || return 1
    else
        "$bouncer" -d "$dir/pgbouncer.ini" || return 1
    fi
    wait_until 10 test -s "$dir/pgbouncer.pid" || return 1
    BOUNCER_PID=$(cat "$dir/pgbouncer.pid")
    BURL="postgresql://$user@127.0.0.1:$bport/$dbn"
    PGCONNECT_TIMEOUT=3 wait_until 10 psql "$BURL" -X -Atqc "SELECT 1" >/dev/null 2>&1
}
stop_bouncer() {
    [ -n "$BOUNCER_PID" ] && kill "$BOUNCER_PID" 2>/dev/null
    BOUNCER_PID=
}
trap 'stop_bouncer; stop_clusters' EXIT

p="$SCRATCH/project"
mkdir -p "$p/migrations" && cd "$p" || exit 1
printf '[project]\nmigrations_dir = migrations\n' > pgwarden.conf
echo "CREATE TABLE pooled (id int);" > migrations/1_pooled.sql

check "pgbouncer (transaction mode) starts" start_bouncer transaction
expect_rc 3 "transaction pooler refused" "$PGW" migrate up --db "$BURL"
contains "says why" "$ERR" "transaction pooler"
contains "what to do" "$ERR" "connect directly to PostgreSQL"
equals "nothing changed" "$(sql "$db" "SELECT to_regclass('pooled') IS NULL AND to_regclass('pgwarden.schema_migrations') IS NULL")" "t"
expect_rc 0 "status (no lock) works through it" "$PGW" migrate status --db "$BURL"
stop_bouncer

check "pgbouncer (session mode) starts" start_bouncer session
expect_rc 0 "session pooler is fine" "$PGW" migrate up --db "$BURL"
equals "applied" "$(sql "$db" "SELECT to_regclass('pooled') IS NOT NULL")" "t"
stop_bouncer

finish
