# The connector image, on Airbyte's Python connector base (Debian slim, Python 3.11, non-root `airbyte`
# user, uid 1000). The default base is pinned by digest so that a rebuild gets the same base; the digest
# is the one Airbyte's own Python 3.11 connectors pin for 4.0.2. metadata.yaml's
# `connectorBuildOptions.baseImage` carries the same value (a unit test keeps them equal).
# scripts/image_test.sh overrides BASE_IMAGE with a local Debian base, because CI has no Docker daemon.
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73

FROM ${BASE_IMAGE} AS builder
WORKDIR /airbyte/integration_code
COPY pyproject.toml uv.lock README.md ./
COPY source_tiktok_ads ./source_tiktok_ads
# The connector lives in its own virtualenv: it only needs `python` from the base, so the same file builds
# on Airbyte's base (Python in /usr/local) and on a plain Debian one (Python in /usr/bin, where pip may
# not install system-wide). uv, pinned like scripts/bootstrap.sh's, exports the locked runtime
# dependencies with their hashes; the connector itself goes in last, without resolving anything again.
# uv stays in the builder stage.
RUN python -m venv /tmp/uv \
    && /tmp/uv/bin/python -m pip install --no-cache-dir --disable-pip-version-check uv==0.13.9 \
    && /tmp/uv/bin/uv export --frozen --no-dev --no-emit-project --format requirements-txt -o requirements.txt \
    && python -m venv /airbyte/venv \
    && /tmp/uv/bin/uv pip install --no-cache --python /airbyte/venv/bin/python --require-hashes -r requirements.txt \
    && /tmp/uv/bin/uv pip install --no-cache --python /airbyte/venv/bin/python --no-deps . \
    && rm -rf /tmp/uv

FROM ${BASE_IMAGE}
WORKDIR /airbyte/integration_code
COPY --from=builder /airbyte/venv /airbyte/venv
ENV PATH="/airbyte/venv/bin:${PATH}"
# The base image creates this user (uid 1000); Airbyte runs connectors as non-root.
# hadolint ignore=DL3066
USER airbyte
# The platform starts connectors through AIRBYTE_ENTRYPOINT, so it names the same command as ENTRYPOINT.
ENV AIRBYTE_ENTRYPOINT="source-tiktok-ads"
ENTRYPOINT ["source-tiktok-ads"]
