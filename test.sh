#!/usr/bin/env bash
# The one test command: installs what the tests need (Debian packages), starts
# a throwaway MariaDB on a loopback port, runs go vet and every test on SQLite
# and MariaDB (nginx and Chromium run as plain processes in the tests),
# checks install.sh --dry-run, and stops MariaDB on exit.
#
#   ./test.sh            all tests
#   ./test.sh --bench    the benchmarks, with figures, on SQLite and MariaDB
#   ./test.sh --galera   the concurrent-run check on a 3-node Galera cluster on loopback
#   ./test.sh -- ARGS    extra arguments for go test (e.g. -run Outbox ./panel/...)
set -euo pipefail
cd "$(dirname "$0")"

mode=test
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) mode=bench ;;
    --galera) mode=galera ;;
    --) shift; extra=("$@"); break ;;
    *) echo "test.sh: unknown argument $1 (use --bench, --galera or -- GO_TEST_ARGS)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '== %s\n' "$*"; }

# --- packages ------------------------------------------------------------
need=()
command -v mariadbd >/dev/null 2>&1 || need+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
# Chromium for the browser tests (chromedp drives it headless).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# nginx for the provisioning driver's integration test (run as a plain
# process under a temporary prefix; the system service is not used).
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
# The EN 16931 validator beside the repository (../shared/einvoice) needs
# Java, Saxon, xmllint and lxml; pdftotext reads PDFs back.
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
[ -e /usr/share/java/Saxon-HE.jar ] || need+=(libsaxonhe-java)
command -v xmllint >/dev/null 2>&1 || need+=(libxml2-utils)
dpkg -s python3-lxml >/dev/null 2>&1 || need+=(python3-lxml)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || need+=(qpdf)
# The PDFs embed DejaVu (every Latin-script name prints).
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "test.sh: missing ${need[*]}; run as root or install them" >&2; exit 1
  fi
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v go >/dev/null 2>&1 || { echo "test.sh: Go 1.26 is required (go not on PATH)" >&2; exit 1; }
# stripe-mock: Stripe's own mock of its API, which the Stripe gateway's
# tests start on loopback (STACK.md pins the version).
gobin="$(go env GOBIN)"; [ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
stripe_mock="$gobin/stripe-mock"
if [ ! -x "$stripe_mock" ] || ! go version -m "$stripe_mock" 2>/dev/null | grep -q 'stripe-mock[[:space:]]*v0.203.0'; then
  log "installing stripe-mock v0.203.0"
  go install github.com/stripe/stripe-mock@v0.203.0
fi
export PATH="$PATH:$gobin"

# --- Galera: three MariaDB nodes on loopback (STACK.md) ---------------------
if [ "$mode" = galera ]; then
  command -v rsync >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends rsync >/dev/null; }
  [ -f /usr/lib/galera/libgalera_smm.so ] || { apt-get update -qq && apt-get install -y -qq --no-install-recommends galera-4 >/dev/null; }
  gwork=$(mktemp -d /tmp/faktura-galera.XXXXXX)
  stop_galera() {
    for i in 3 2 1; do
      [ -S "$gwork/n$i/sock" ] && mariadb-admin --no-defaults --socket="$gwork/n$i/sock" -uroot shutdown >/dev/null 2>&1 || true
    done
    rm -rf "$gwork"
  }
  trap stop_galera EXIT INT TERM
  cluster="gcomm://127.0.0.1:4570,127.0.0.1:4580,127.0.0.1:4590"
  start_node() { # index, extra flags...
    local i=$1; shift
    local d="$gwork/n$i" port=$((3320 + i)) g=$((4560 + 10 * i))
    mkdir -p "$d/data" "$d/tmp"
    mariadb-install-db --no-defaults --user=root --datadir="$d/data" --auth-root-authentication-method=normal --skip-test-db >"$d/install.log" 2>&1
    [ "$i" = 1 ] || chown -R nobody:nogroup "$d"
    mariadbd --no-defaults --user=root --datadir="$d/data" --socket="$d/sock" --pid-file="$d/pid" --port=$port --bind-address=127.0.0.1 \
      --tmpdir="$d/tmp" --log-error="$d/err.log" --skip-name-resolve --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
      --binlog-format=ROW --innodb-autoinc-lock-mode=2 --wsrep-on=ON --wsrep-provider=/usr/lib/galera/libgalera_smm.so \
      --wsrep-cluster-name=faktura --wsrep-node-address=127.0.0.1:$g --wsrep-cluster-address="$cluster" \
      --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$g;ist.recv_addr=127.0.0.1:$((g + 1))" \
      --wsrep-sst-method=rsync --wsrep-sst-receive-address=127.0.0.1:$((g + 2)) "$@" >/dev/null 2>&1 &
    for _ in $(seq 1 600); do
      mariadb --no-defaults --socket="$d/sock" -uroot -N -e "SHOW STATUS LIKE 'wsrep_ready'" 2>/dev/null | grep -q ON && return 0
      sleep 0.1
    done
    echo "test.sh: Galera node $i did not start:" >&2; tail -20 "$d/err.log" >&2; exit 1
  }
  start_node 1 --wsrep-new-cluster
  start_node 2
  start_node 3
  size=$(mariadb --no-defaults --socket="$gwork/n1/sock" -uroot -N -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | awk '{print $2}')
  log "Galera cluster of $size nodes on 127.0.0.1:3321-3323"
  gpass=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  mariadb --no-defaults --socket="$gwork/n1/sock" -uroot -e "CREATE USER 'faktura'@'127.0.0.1' IDENTIFIED BY '$gpass'; GRANT ALL PRIVILEGES ON *.* TO 'faktura'@'127.0.0.1';"
  export FAKTURA_TEST_GALERA_DSNS="faktura:${gpass}@tcp(127.0.0.1:3321)/,faktura:${gpass}@tcp(127.0.0.1:3322)/,faktura:${gpass}@tcp(127.0.0.1:3323)/"
  go test -count=1 -v -timeout 20m -run 'Galera' ./billing
  exit $?
fi

# --- MariaDB on loopback ---------------------------------------------------
work=$(mktemp -d /tmp/faktura-test.XXXXXX)
mdb_sock="$work/mysql.sock"
stop_mariadb() {
  if [ -S "$mdb_sock" ]; then
    mariadb-admin --no-defaults --socket="$mdb_sock" -uroot shutdown >/dev/null 2>&1 || true
  fi
  if [ -f "$work/mysql.pid" ]; then
    kill "$(cat "$work/mysql.pid")" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap stop_mariadb EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null || echo $((20000 + RANDOM % 20000)); }
mdb_port=$(free_port)
mkdir -p "$work/data" "$work/tmp"
mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$work/data" \
  --auth-root-authentication-method=normal --skip-test-db >"$work/install.log" 2>&1 \
  || { cat "$work/install.log"; exit 1; }
mariadbd --no-defaults --user="$(id -un)" --datadir="$work/data" --socket="$mdb_sock" \
  --pid-file="$work/mysql.pid" --port="$mdb_port" --bind-address=127.0.0.1 --tmpdir="$work/tmp" \
  --log-error="$work/mariadb.err" --skip-name-resolve --innodb-flush-log-at-trx-commit=1 --innodb-buffer-pool-size=512M \
  --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci >/dev/null 2>&1 &
for _ in $(seq 1 300); do
  mariadb-admin --no-defaults --socket="$mdb_sock" -uroot ping >/dev/null 2>&1 && break
  sleep 0.1
done
mariadb-admin --no-defaults --socket="$mdb_sock" -uroot ping >/dev/null 2>&1 \
  || { echo "test.sh: MariaDB did not start:" >&2; cat "$work/mariadb.err" >&2; exit 1; }
mdb_pass=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
mariadb --no-defaults --socket="$mdb_sock" -uroot <<SQL
CREATE USER 'faktura'@'127.0.0.1' IDENTIFIED BY '$mdb_pass';
GRANT ALL PRIVILEGES ON *.* TO 'faktura'@'127.0.0.1';
SQL
export FAKTURA_TEST_MYSQL_DSN="faktura:${mdb_pass}@tcp(127.0.0.1:${mdb_port})/"
log "MariaDB $(mariadbd --version | awk '{print $3}') on 127.0.0.1:${mdb_port}"

if [ "$mode" = bench ]; then
  log "benchmarks (SQLite and MariaDB)"
  go test -run '^$' -bench . -benchtime "${BENCHTIME:-3s}" "${extra[@]:-./...}"
  exit $?
fi

export PATH="$PATH:/usr/sbin"

# --- vet, tests -------------------------------------------------------------
log "go vet ./..."
go vet ./...

log "go test ./... (SQLite, MariaDB, headless Chromium, stripe-mock)"
out="$work/go-test.log"
# Browser-test screenshots outlive the run's scratch directory.
export FAKTURA_TEST_ARTIFACTS="${TMPDIR:-/tmp}/faktura-test-artifacts"
mkdir -p "$FAKTURA_TEST_ARTIFACTS"
set +e
go test -count=1 -v -timeout 20m "${extra[@]:-./...}" >"$out" 2>&1
rc=$?
set -e
grep -E '^(ok|FAIL|---|panic:|\?)|^\s+--- (FAIL|SKIP)|\.go:[0-9]+:' "$out" | grep -vE '^\s*--- PASS|^--- PASS' || true

# --- install.sh --dry-run -------------------------------------------------
log "install.sh --dry-run"
dry="$work/install-dry.log"
irc=0
bash ./install.sh --dry-run --root "$work/installroot" >"$dry" 2>&1 || irc=$?
cat "$dry"
for want in "dry run" "would install the binary" "would write $work/installroot/etc/faktura/config.yaml" "would install the systemd unit" "would run migrations"; do
  grep -qF "$want" "$dry" || { echo "install.sh --dry-run output lacks: $want"; irc=1; }
done
[ -e "$work/installroot/etc/faktura/config.yaml" ] && { echo "install.sh --dry-run wrote a file"; irc=1; }
for bad in "--db-name x;drop" "--db-user a'b" "--bogus"; do
  brc=0; bash ./install.sh --dry-run --root "$work/installroot" $bad >"$work/install-bad.log" 2>&1 || brc=$?
  [ "$brc" = 2 ] && grep -q "install.sh: " "$work/install-bad.log" || { echo "install.sh $bad: exit $brc, want 2 with a message"; irc=1; }
done
[ "$irc" = 0 ] && echo "install.sh --dry-run: ok" || echo "install.sh --dry-run: FAILED"

# --- summary ----------------------------------------------------------------
count() { grep -cE -e "$1" "$out" || true; }
sq=$(count '--- PASS: .*/sqlite( |/)')
my=$(count '--- PASS: .*/mariadb( |/)')
passed=$(count '--- PASS:')
failed=$(count '--- FAIL:')
skipped=$(count '--- SKIP:')
log "tests per backend: sqlite ${sq} passed, mariadb ${my} passed"
grep -E '^cross-tenant endpoints covered' "$out" || true
[ "$rc" = 0 ] && [ "$irc" = 0 ] && [ "$my" -gt 0 ] || failed=$((failed > 0 ? failed : 1))
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$rc" = 0 ] && [ "$irc" = 0 ] && [ "$my" -gt 0 ]
