#!/usr/bin/env bash
# The venv of tests/otel/receiver.py (the OTLP/HTTP receiver of tests/otel.rs): OpenTelemetry's
# protobuf types, from PyPI. Prints the venv path on the last line.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Pinned so that results do not change under us; bump deliberately.
exec "$repo/scripts/pypi-venv.sh" "${ARCHGEN_OTLP_VENV:-$repo/target/otlp-receiver-venv}" "opentelemetry-proto==1.45.2"
