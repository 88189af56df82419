# shellcheck shell=bash disable=SC2034  # (variables used by the sourcing scripts)
# Shared functions of scripts/run, scripts/test and scripts/lint.
# Source it; it sets `set -euo pipefail` and defines:
#   load_config, discover_odoo, check_postgres, ensure_venv, write_odoo_conf,
#   odoo_init, db_state, db_drop, tool, prepare (= the first four).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPTS_DIR="$REPO_ROOT/scripts"
LOCAL_DIR="$REPO_ROOT/.local"
VENV_DIR="$REPO_ROOT/.venv"
DATA_DIR="$LOCAL_DIR/data"
ADDON=aftersales_service
TOOLING="$SCRIPTS_DIR/tooling.py"
PROG="${0##*/}"

log() { printf '[%s] %s\n' "$PROG" "$*" >&2; }
die() { # die EXIT_CODE MESSAGE...
    local code=$1
    shift
    printf '\n[%s] ERROR: %s\n\n' "$PROG" "$*" >&2
    exit "$code"
}

# ---------------------------------------------------------------- configuration
CONFIG_VARS=(ODOO_PYTHON ODOO_ADDONS_PATH ODOO_RC PGHOST PGPORT PGUSER PGPASSWORD
    AFTERSALES_DB AFTERSALES_TEST_DB AFTERSALES_HTTP_PORT AFTERSALES_TEST_HTTP_PORT
    AFTERSALES_CHROME AFTERSALES_ALLOW_BROWSER_SKIP AFTERSALES_TEST_TEMPLATE_DB
    AFTERSALES_WORKERS AFTERSALES_CRON_WORKERS AFTERSALES_GEVENT_PORT
    AFTERSALES_DB_REPLICA_HOST AFTERSALES_DB_REPLICA_PORT)

# aftersales.env (optional, repo root) is read first; variables already set in
# the environment win over it; then defaults apply.
load_config() {
    local var
    local -A from_env=()
    for var in "${CONFIG_VARS[@]}"; do
        if [[ -n "${!var+x}" ]]; then from_env[$var]="${!var}"; fi
    done
    if [[ -f "$REPO_ROOT/aftersales.env" ]]; then
        set -a
        # shellcheck disable=SC1091
        . "$REPO_ROOT/aftersales.env"
        set +a
    fi
    for var in "${!from_env[@]}"; do export "$var=${from_env[$var]}"; done

    export PGHOST="${PGHOST:-127.0.0.1}"
    export PGPORT="${PGPORT:-5432}"
    export PGUSER="${PGUSER:-$(id -un)}"
    export PGPASSWORD="${PGPASSWORD:-}"
    AFTERSALES_DB="${AFTERSALES_DB:-aftersales}"
    AFTERSALES_TEST_DB="${AFTERSALES_TEST_DB:-aftersales_test}"
    AFTERSALES_HTTP_PORT="${AFTERSALES_HTTP_PORT:-8069}"
    # unset: pytest-odoo serves the tests on a free random port
    AFTERSALES_TEST_HTTP_PORT_FIXED="${AFTERSALES_TEST_HTTP_PORT:-}"
    AFTERSALES_TEST_HTTP_PORT="${AFTERSALES_TEST_HTTP_PORT:-8169}"
    ODOO_ADDONS_PATH="${ODOO_ADDONS_PATH:-}"
    ODOO_RC="${ODOO_RC:-}"
    if [[ -n "$ODOO_RC" && ! -r "$ODOO_RC" ]]; then
        die 2 "ODOO_RC=$ODOO_RC: file not found or not readable (unset ODOO_RC or fix the path)."
    fi
    # Odoo and pytest-odoo would read these themselves: we pass -c instead
    # (pytest-odoo 2.3.0 even crashes on PYTEST_DB_USE_ENV_VARS: str.lowercase).
    export -n ODOO_RC
    unset OPENERP_SERVER PYTEST_DB_USE_ENV_VARS
    mkdir -p "$LOCAL_DIR"
}

# ------------------------------------------------------------- odoo discovery
ODOO_INFO=""
# _probe PY: sets ODOO_INFO (json from tooling.py odoo-info, or "") and
# returns 0 if PY imports odoo.
_probe() {
    ODOO_INFO="$("$1" "$TOOLING" odoo-info 2>/dev/null)" || ODOO_INFO=""
    [[ "$ODOO_INFO" == *'"error": null'* ]]
}
_info_error() { # the import error of the last probe
    if [[ "$ODOO_INFO" =~ \"error\":\ \"([^\"]*)\" ]]; then
        printf '%s' "${BASH_REMATCH[1]}"
    else
        printf 'it does not run as a Python interpreter'
    fi
}
_info_version() { # odoo version of the last probe
    if [[ "$ODOO_INFO" =~ \"version\":\ \"([^\"]*)\" ]]; then
        printf '%s' "${BASH_REMATCH[1]}"
    else
        printf '?'
    fi
}
_info_is_18() { [[ "$ODOO_INFO" == *'"version_info": [18, '* ]]; }

# _interpreter_of_script FILE -> interpreter from its shebang (follows symlinks)
_interpreter_of_script() {
    local file line interp arg=""
    file="$(readlink -f "$1")" || return 1
    IFS= read -r line <"$file" || true
    [[ "$line" == '#!'* ]] || return 1
    read -r interp arg _ <<<"${line#'#!'}"
    if [[ "${interp##*/}" == env ]]; then
        [[ -n "$arg" && "$arg" != -* ]] || return 1
        interp="$(command -v "$arg")" || return 1
    fi
    printf '%s\n' "$interp"
}

_info_get() { # _info_get KEY -> value from ODOO_INFO (lists joined with ,)
    "$ODOO_PYTHON" -c 'import json,sys; v=json.loads(sys.argv[1])[sys.argv[2]]; print(",".join(v) if isinstance(v, list) else v)' "$ODOO_INFO" "$1"
}

# Sets ODOO_PYTHON, ODOO_VERSION, ODOO_ADDONS_DIRS (comma list), ODOO_BASE_PYTHON,
# ODOO_SITE_PACKAGES (comma list). Exits 2 with a how-to-fix message on failure.
discover_odoo() {
    local how="How to fix: set ODOO_PYTHON=/path/to/python-with-odoo-18 (in the environment,
    or in $REPO_ROOT/aftersales.env: see aftersales.env.example),
    or put Odoo 18's \`odoo\` (or \`odoo-bin\`) script on PATH."
    local found=""
    if [[ -n "${ODOO_PYTHON:-}" ]]; then
        command -v "$ODOO_PYTHON" >/dev/null 2>&1 ||
            die 2 "ODOO_PYTHON=$ODOO_PYTHON: no such executable.
    $how"
        _probe "$ODOO_PYTHON" ||
            die 2 "ODOO_PYTHON=$ODOO_PYTHON cannot \`import odoo\`: $(_info_error).
    $how"
        _info_is_18 ||
            die 2 "ODOO_PYTHON=$ODOO_PYTHON imports Odoo $(_info_version), but Odoo 18.0 is required.
    $how"
        found="$ODOO_PYTHON"
    else
        local tried=() script path interp
        # _try LABEL INTERPRETER: sets found, or records why not
        _try() {
            if ! _probe "$2"; then
                tried+=("$1: $2 cannot import odoo")
            elif ! _info_is_18; then
                tried+=("$1: $2 has Odoo $(_info_version), not 18.0")
            else
                found="$2"
            fi
        }
        if path="$(command -v python3 2>/dev/null)"; then
            _try python3 "$path"
        else
            tried+=("python3: not on PATH")
        fi
        for script in odoo odoo-bin; do
            [[ -z "$found" ]] || break
            if ! path="$(command -v "$script" 2>/dev/null)"; then
                tried+=("$script: not on PATH")
            elif ! interp="$(_interpreter_of_script "$path")"; then
                tried+=("$script ($path): no usable #! line")
            else
                _try "$script ($path), its #! interpreter" "$interp"
            fi
        done
        if [[ -z "$found" ]]; then
            die 2 "Odoo 18 not found. ODOO_PYTHON is not set, and
$(printf '      - %s\n' "${tried[@]}")
    $how"
        fi
    fi
    export ODOO_PYTHON="$found"
    ODOO_VERSION="$(_info_get version)"
    ODOO_ADDONS_DIRS="$(_info_get addons_path)"
    ODOO_BASE_PYTHON="$(_info_get base_executable)"
    ODOO_SITE_PACKAGES="$(_info_get site_packages)"
    local extra dir
    IFS=',' read -ra extra <<<"$ODOO_ADDONS_PATH"
    for dir in "${extra[@]}"; do
        [[ -z "$dir" || -d "$dir" ]] ||
            die 2 "ODOO_ADDONS_PATH contains '$dir', which is not a directory."
    done
    log "Odoo $ODOO_VERSION via $ODOO_PYTHON"
}

# ------------------------------------------------------------------ postgres
tool() { "$ODOO_PYTHON" "$TOOLING" "$@"; }

check_postgres() {
    local out
    local env_hint="Set PGHOST / PGPORT / PGUSER / PGPASSWORD (environment or aftersales.env)."
    if [[ "$PGUSER" == postgres ]]; then
        die 2 "PGUSER=postgres: Odoo refuses to run as the PostgreSQL superuser 'postgres'.
    Use another role (default: your OS user, '$(id -un)'), e.g.
    createuser -s $(id -un)   (as postgres), then unset PGUSER.
    $env_hint"
    fi
    if ! out="$(tool pg-check 2>&1)"; then
        die 2 "cannot connect to PostgreSQL at host=$PGHOST port=$PGPORT user=$PGUSER (database 'postgres'):
    ${out//$'\n'/$'\n    '}
    Is PostgreSQL running, and does the role '$PGUSER' exist with CREATEDB rights?
    $env_hint"
    fi
    log "PostgreSQL OK: ${out//$'\t'/ @ } ($PGHOST:$PGPORT)"
}

db_state() { tool db-state "$@"; } # db_state DB MODULE [REQUIRED_MODULE...]
db_drop() { tool db-drop "$1" "$DATA_DIR"; }

# ----------------------------------------------------------------- tool venv
# .venv: made from the Odoo interpreter's base python, without system site
# packages; a .pth file adds the Odoo interpreter's site-packages (addsitedir
# also runs their nested .pth files, e.g. the editable Odoo install).

ensure_venv() {
    local req="$SCRIPTS_DIR/requirements-dev.txt" stamp
    stamp="$(printf '%s\n' "$ODOO_PYTHON" "$(readlink -f "$ODOO_PYTHON")" \
        "$ODOO_BASE_PYTHON" "$ODOO_SITE_PACKAGES" "$ODOO_VERSION" |
        cat - "$req" | sha256sum | cut -c1-32)"
    _venv_ok "$stamp" && return 0
    (
        # one builder at a time; re-check once we hold the lock
        if command -v flock >/dev/null 2>&1; then
            exec 9>"$LOCAL_DIR/venv.lock"
            flock 9
        fi
        _venv_ok "$stamp" || _build_venv "$stamp" "$req"
    )
}

# _venv_ok STAMP: .venv exists, was built for this Odoo interpreter and these
# requirements, and works.
_venv_ok() {
    [[ -f "$VENV_DIR/.aftersales-stamp" && "$(cat "$VENV_DIR/.aftersales-stamp")" == "$1" ]] &&
        "$VENV_DIR/bin/python" -c 'import odoo, pytest_odoo, websocket, pylint_odoo' \
            >/dev/null 2>&1 &&
        "$VENV_DIR/bin/ruff" --version >/dev/null 2>&1
}

_build_venv() {
    local stamp=$1 req=$2 site pth constraints pip_log
    log "creating tool environment $VENV_DIR (from $ODOO_BASE_PYTHON) ..."
    rm -rf "$VENV_DIR"
    "$ODOO_BASE_PYTHON" -m venv "$VENV_DIR" ||
        die 2 "cannot create a venv with $ODOO_BASE_PYTHON (base interpreter of $ODOO_PYTHON)."
    site="$("$VENV_DIR/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    pth="$site/aftersales_odoo_site.pth"
    : >"$pth"
    local dirs d
    IFS=',' read -ra dirs <<<"$ODOO_SITE_PACKAGES"
    for d in "${dirs[@]}"; do
        printf "import site; site.addsitedir(%s)\n" \
            "$("$VENV_DIR/bin/python" -c 'import sys; print(repr(sys.argv[1]))' "$d")" >>"$pth"
    done
    "$VENV_DIR/bin/python" -c 'import odoo.release' 2>/dev/null ||
        die 2 "the new $VENV_DIR cannot import odoo through $pth (site-packages: $ODOO_SITE_PACKAGES)."
    constraints="$LOCAL_DIR/odoo-constraints.txt"
    tool constraints >"$constraints"
    pip_log="$LOCAL_DIR/pip.log"
    log "installing dev tools ($req) into .venv; log: ${pip_log#"$REPO_ROOT/"}"
    if ! PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV_DIR/bin/python" -m pip install \
        --no-input -c "$constraints" -r "$req" >"$pip_log" 2>&1; then
        tail -n 30 "$pip_log" >&2
        die 1 "pip install of $req failed (see $pip_log)."
    fi
    if ! "$VENV_DIR/bin/python" -m pip check >>"$pip_log" 2>&1; then
        grep -v '^$' "$pip_log" | tail -n 10 >&2
        die 1 "pip check found broken requirements in .venv (see $pip_log)."
    fi
    "$VENV_DIR/bin/python" - <<'EOF' || die 1 "the tool environment is not usable (see above)."
import odoo, odoo.release, werkzeug, pytest, pytest_odoo, websocket, pylint_odoo
import openpyxl, xlsxwriter, freezegun, hypothesis  # noqa
assert odoo.release.version_info[0] == 18, odoo.release.version
EOF
    printf '%s\n' "$stamp" >"$VENV_DIR/.aftersales-stamp"
    log "tool environment ready"
}

# -------------------------------------------------------------- odoo helpers
# write_odoo_conf FILE DB HTTP_PORT [key=value...]
write_odoo_conf() {
    local file=$1 db=$2 port=$3
    shift 3
    local addons="$ODOO_ADDONS_DIRS,$REPO_ROOT"
    [[ -n "$ODOO_ADDONS_PATH" ]] && addons="$addons,$ODOO_ADDONS_PATH"
    tool write-conf "$file" "$ODOO_RC" \
        "addons_path=$addons" \
        "data_dir=$DATA_DIR" \
        "db_host=$PGHOST" "db_port=$PGPORT" "db_user=$PGUSER" \
        "db_password=${PGPASSWORD:-False}" \
        "db_name=$db" "dbfilter=^${db}\$" "list_db=False" \
        "http_port=$port" "$@"
}

# odoo_init CONF LOG ARGS... : run odoo --stop-after-init, log into LOG.
# Fails (exit 1, showing the log tail) on a non-zero exit; with
# STRICT_LOG=1 also on ERROR/CRITICAL lines in the log.
odoo_init() {
    local conf=$1 logfile=$2 rc=0
    shift 2
    : >"$logfile"
    "$ODOO_PYTHON" -m odoo -c "$conf" --stop-after-init --logfile="$logfile" \
        --log-level=info "$@" </dev/null || rc=$?
    local errors
    errors="$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$logfile" || true)"
    if [[ $rc -ne 0 || (-n "$errors" && "${STRICT_LOG:-0}" == 1) ]]; then
        printf -- '---- last lines of %s ----\n' "${logfile#"$REPO_ROOT/"}" >&2
        tail -n 40 "$logfile" >&2
        if [[ -n "$errors" ]]; then
            printf -- '---- ERROR/CRITICAL lines ----\n%s\n' "$(head -n 20 <<<"$errors")" >&2
        fi
        die 1 "odoo $* failed (exit code $rc${errors:+, with ERROR/CRITICAL log lines}); full log: $logfile"
    fi
    if [[ -n "$errors" ]]; then
        log "warning: ERROR lines in $logfile:"
        head -n 10 <<<"$errors" >&2
    fi
}

# timer helpers
now() { date +%s; }
elapsed() { echo "$(($(now) - $1))s"; }

# Common start of the scripts.
prepare() {
    load_config
    discover_odoo
    check_postgres
    ensure_venv
}
