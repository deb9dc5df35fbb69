# Shared by scripts/demo and scripts/test: find Python, create the venv, install the project.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${BANNETTE_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

ensure_venv() {
    local extras="$1"
    if [ ! -x "$VENV/bin/python" ]; then
        echo "==> Création de l'environnement Python dans $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    local stamp="$VENV/.installed-$extras"
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        echo "==> Installation des dépendances Python ($extras)"
        "$VENV/bin/python" -m pip install --quiet --upgrade pip
        "$VENV/bin/python" -m pip install --quiet -e "$ROOT[$extras]"
        touch "$stamp"
    fi
}

# Installs the Debian packages listed in a file (default scripts/system-packages.txt) that are
# missing. Not root and no sudo: prints the exact apt-get line and fails. Not Debian: says so.
ensure_system_packages() {
    local list="${1:-$ROOT/scripts/system-packages.txt}"
    local wanted=() missing=()
    while read -r pkg; do
        [ -z "$pkg" ] && continue
        case "$pkg" in \#*) continue ;; esac
        wanted+=("$pkg")
    done < "$list"
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "(pas une Debian : paquets système non vérifiés ; sous Debian ou Ubuntu ce serait :"
        echo "  sudo apt-get install --no-install-recommends ${wanted[*]})"
        return 0
    fi
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "Paquets Debian manquants. En administrateur (root), lancez :" >&2
            echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
            return 1
        fi
        sudo="sudo"
    fi
    echo "==> Installation des paquets Debian manquants : ${missing[*]}"
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null; }; then
        echo "Installation impossible. Lancez vous-même :" >&2
        echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        return 1
    fi
}
