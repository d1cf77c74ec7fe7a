# Sourced by the other scripts: installs uv (pinned) in a private venv, then the locked dependencies.
# Needs only python3 (3.11+) and the package index; touches nothing outside the repository.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
UV_VERSION="0.13.9"
PYTHON="${PYTHON:-python3}"
if [ ! -x .tools/bin/uv ] || [ "$(.tools/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  "$PYTHON" -m venv .tools
  .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==${UV_VERSION}"
fi
UV="$REPO_ROOT/.tools/bin/uv"
export UV_PYTHON="${UV_PYTHON:-$("$PYTHON" -c 'import sys; print(sys.executable)')}"
# Precompiled bytecode: every connector process the tests start would otherwise recompile the CDK.
"$UV" sync --frozen --quiet --compile-bytecode
