# shellcheck shell=bash
# Shared by scripts/serve, scripts/test and .ci/run (sourced, not run):
# set up what is missing on a fresh machine, or say exactly what to install.

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A Python 3.11 or newer, whatever it is called here.
find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3 python; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    die "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11 if it has another name)."
}

APT_UPDATED=
# apt_install PACKAGE...: install Debian packages when we are root, or explain what to do.
apt_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        die "Please install: $* (e.g. sudo apt-get install $*), then run this again."
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [ -z "$APT_UPDATED" ]; then
        say "apt-get update"
        apt-get update -qq
        APT_UPDATED=1
    fi
    say "apt-get install -y $*"
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# need_commands PACKAGE COMMAND...: install PACKAGE when any COMMAND is missing.
need_commands() {
    local package=$1 name
    shift
    for name in "$@"; do
        if ! command -v "$name" >/dev/null 2>&1; then
            apt_install "$package"
            return 0
        fi
    done
}

# The virtual environment in .venv with the package installed (editable) and,
# given "test", its test extra. Reinstalls only when pyproject.toml changed.
ensure_venv() {
    local extra=${1:-} stamp spec hash
    if [ ! -x .venv/bin/python ]; then
        local python
        python=$(find_python)
        say "creating .venv with $python"
        if ! "$python" -m venv .venv 2>/dev/null; then
            rm -rf .venv
            # Debian splits venv support out of python3.
            need_python_venv "$python"
            "$python" -m venv .venv
        fi
    fi
    hash=$(.venv/bin/python -c 'import hashlib; print(hashlib.sha256(open("pyproject.toml", "rb").read()).hexdigest())')
    stamp=.venv/.contest-installed${extra:+-$extra}
    spec=.${extra:+[$extra]}
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
        say "pip install -e '$spec' (quietly; this takes a minute the first time)"
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -e "$spec"
        echo "$hash" >"$stamp"
        # The test extra includes everything the plain install has.
        [ -z "$extra" ] || echo "$hash" >.venv/.contest-installed
    fi
    export PATH="$PWD/.venv/bin:$PATH"
    export VIRTUAL_ENV="$PWD/.venv"
}

need_python_venv() {
    local version
    version=$("$1" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    apt_install "python$version-venv"
}
