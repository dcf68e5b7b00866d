#!/usr/bin/env sh
# Runs bench/wechatpy_push.py in a virtualenv (bench/.venv, created on first use) with
# wechatpy 1.8.18 and its crypto backend. Usage: bench/run_wechatpy.sh [N]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet wechatpy==1.8.18 cryptography
fi
exec "$venv/bin/python" "$here/wechatpy_push.py" "$@"
