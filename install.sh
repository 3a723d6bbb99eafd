#!/usr/bin/env bash
# Installs Faktura on a Debian/Ubuntu server, as root:
#   MariaDB (if absent), a database and user with a generated password,
#   /etc/faktura/config.yaml (0600) and /etc/faktura/faktura.env (0600, the
#   DSN with the password), the faktura binary, a system user, a systemd
#   unit, the migrations; then it starts the service and prints next steps.
# Running it again changes nothing that is already in place, and says so.
#
#   ./install.sh [--dry-run] [--root DIR] [--listen ADDR] [--db-name NAME] [--db-user USER]
#
# --dry-run prints what it would do and changes nothing.
# --root DIR installs files under DIR instead of / (for packaging and tests).
set -euo pipefail

dry=0 root="" listen="127.0.0.1:8080" db_name=faktura db_user=faktura
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1 ;;
    --root) root="${2:?--root needs a directory}"; shift ;;
    --listen) listen="${2:?--listen needs host:port}"; shift ;;
    --db-name) db_name="${2:?--db-name needs a name}"; shift ;;
    --db-user) db_user="${2:?--db-user needs a name}"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$db_name" =~ ^[A-Za-z0-9_]{1,64}$ ]] || { echo "install.sh: --db-name: letters, digits and _ only" >&2; exit 2; }
[[ "$db_user" =~ ^[A-Za-z0-9_]{1,32}$ ]] || { echo "install.sh: --db-user: letters, digits and _ only" >&2; exit 2; }

src=$(cd "$(dirname "$0")" && pwd)
etc="$root/etc/faktura"
config="$etc/config.yaml"
envfile="$etc/faktura.env"
bin="$root/usr/local/bin/faktura"
unit="$root/etc/systemd/system/faktura.service"
data="$root/var/lib/faktura"
changed=0

say()  { printf '%s\n' "$*"; }
act()  { # act "description" command...: run it, or say what would run
  local what="$1"; shift
  changed=1
  if [ "$dry" = 1 ]; then say "would $what"; else say "$what"; "$@"; fi
}
have_systemd() { [ -z "$root" ] && [ -d /run/systemd/system ]; }

[ "$dry" = 1 ] && say "dry run: nothing will be changed"
if [ "$dry" = 0 ] && [ -z "$root" ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run as root (or try --dry-run)" >&2; exit 1
fi

# 1. MariaDB
if command -v mariadbd >/dev/null 2>&1 || command -v mysqld >/dev/null 2>&1; then
  say "MariaDB: installed"
else
  act "install MariaDB (apt-get install mariadb-server)" \
    bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client'
fi
# Fonts for the invoice PDFs (DejaVu, every Latin-script name prints)
if [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  say "fonts: DejaVu installed"
else
  act "install the PDF fonts (apt-get install fonts-dejavu-core)" \
    bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core'
fi
if have_systemd && ! systemctl is-active --quiet mariadb 2>/dev/null; then
  act "start MariaDB (systemctl enable --now mariadb)" systemctl enable --now mariadb
fi

# 2. Database and user; the password lives only in faktura.env
sql() { mariadb --no-defaults -uroot --protocol=socket -N -e "$1"; }
user_exists() { [ "$(sql "SELECT COUNT(*) FROM mysql.user WHERE user='$db_user' AND host='localhost'" 2>/dev/null)" = 1 ]; }
if [ -f "$envfile" ] && user_exists; then
  say "database: $db_name and user $db_user exist"
else
  pass=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
  create_db() {
    sql "CREATE DATABASE IF NOT EXISTS \`$db_name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
         CREATE USER IF NOT EXISTS '$db_user'@'localhost' IDENTIFIED BY '$pass';
         ALTER USER '$db_user'@'localhost' IDENTIFIED BY '$pass';
         GRANT ALL PRIVILEGES ON \`$db_name\`.* TO '$db_user'@'localhost';"
    mkdir -p "$etc"
    umask 077
    printf 'FAKTURA_DATABASE_DSN=%s:%s@tcp(127.0.0.1:3306)/%s\n' "$db_user" "$pass" "$db_name" >"$envfile"
    chmod 0600 "$envfile"
  }
  act "create database $db_name and user $db_user with a generated password (stored in $envfile, mode 0600)" create_db
fi

# 3. Configuration
if [ -f "$config" ]; then
  say "config: $config exists (left as it is)"
else
  write_config() {
    mkdir -p "$etc"
    umask 077
    cat >"$config" <<YAML
# Written by install.sh. The DSN with the password is in faktura.env.
server:
  listen: $listen
database:
  driver: mysql
  migrate_on_start: true
log:
  format: json
automation:
  enabled: true
  hour: 3
  time_zone: $(cat /etc/timezone 2>/dev/null || echo UTC)
YAML
    chmod 0600 "$config"
  }
  act "write $config (mode 0600)" write_config
fi

# 4. Binary
if [ "$dry" = 1 ]; then
  say "would install the binary to $bin (go build from $src; replaced only if it differs)"
else
  command -v go >/dev/null 2>&1 || { echo "install.sh: Go 1.26 is needed to build faktura" >&2; exit 1; }
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$tmp/faktura" .)
  if [ -f "$bin" ] && cmp -s "$tmp/faktura" "$bin"; then
    say "binary: $bin is current"
  else
    act "install the binary to $bin" install -D -m 0755 "$tmp/faktura" "$bin"
    binary_changed=1
  fi
fi

# 5. System user and data directory
if id faktura >/dev/null 2>&1; then
  say "system user: faktura exists"
else
  act "create the system user faktura" useradd --system --home-dir /var/lib/faktura --shell /usr/sbin/nologin faktura
fi
if [ -d "$data" ]; then
  say "data directory: $data exists"
else
  act "create $data" install -d -m 0750 -o faktura -g faktura "$data"
fi
[ -f "$config" ] && [ "$dry" = 0 ] && chown root:faktura "$config" "$envfile" 2>/dev/null && chmod 0640 "$config" "$envfile"

# 6. systemd unit
unit_text="[Unit]
Description=Faktura hosting panel and billing
After=network-online.target mariadb.service
Wants=network-online.target

[Service]
User=faktura
Group=faktura
WorkingDirectory=/var/lib/faktura
EnvironmentFile=/etc/faktura/faktura.env
ExecStart=/usr/local/bin/faktura serve --config /etc/faktura/config.yaml
Restart=on-failure
TimeoutStopSec=60
NoNewPrivileges=true
ProtectSystem=strict
ReadWritePaths=/var/lib/faktura
PrivateTmp=true

[Install]
WantedBy=multi-user.target"
if [ -f "$unit" ] && [ "$(cat "$unit")" = "$unit_text" ]; then
  say "systemd unit: $unit is current"
else
  write_unit() { mkdir -p "$(dirname "$unit")"; printf '%s\n' "$unit_text" >"$unit"; have_systemd && systemctl daemon-reload || true; }
  act "install the systemd unit $unit" write_unit
fi

# 7. Migrations
if [ "$dry" = 1 ]; then
  say "would run migrations (faktura migrate --config $config)"
else
  migrate_out=$(set -a; . "$envfile"; set +a; "$bin" migrate --config "$config")
  say "migrations: $migrate_out"
  case "$migrate_out" in *applied*) changed=1 ;; esac
fi

# 8. Service
if have_systemd; then
  if ! systemctl is-enabled --quiet faktura 2>/dev/null || ! systemctl is-active --quiet faktura 2>/dev/null; then
    act "enable and start faktura (systemctl enable --now faktura)" systemctl enable --now faktura
  elif [ "${binary_changed:-0}" = 1 ]; then
    act "restart faktura for the new binary" systemctl restart faktura
  else
    say "service: faktura is running"
  fi
fi

say ""
if [ "$changed" = 0 ]; then
  say "Nothing to change: Faktura is installed and up to date."
elif [ "$dry" = 1 ]; then
  say "Run without --dry-run to apply."
else
  say "Faktura is installed. Next steps:"
  say "  - first admin:     sh -c 'set -a; . $envfile; exec $bin user create --config $config --email you@example.com --role admin'"
  say "  - check it:        curl -s http://$listen/healthz"
  say "  - follow the log:  journalctl -u faktura -f"
  say "  - put nginx or another TLS proxy in front of http://$listen"
  say "  - settings:        $config (secrets in $envfile)"
fi
