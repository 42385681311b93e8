#!/usr/bin/env bash
# Build a wheelhouse for an air-gapped install of ragtui: ragtui itself, every runtime
# dependency as a wheel, a portable llama-cpp-python build and, with --with-models, the
# default models. See packaging/README.md; `--help` lists the options.
#
# Runs on a connected machine (PyPI only). PYTHON picks the interpreter whose pip does the
# work (default python3, >= 3.11); it also decides the target Python version unless
# --python-version says otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "build-wheelhouse: $python is not Python >= 3.11; set PYTHON=/path/to/python3.11+" >&2
    exit 2
fi

# llama-cpp-python compiles llama.cpp. A native build dies with SIGILL on CPUs that advertise
# AMX the OS does not grant, and would not run on an older laptop anyway: build for a portable
# AVX2 baseline unless the caller chose other flags.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"

exec "$python" "$here/wheelhouse.py" "$@"
