# Built on Airbyte's Python connector base image (Debian slim, Python 3.11, non-root `airbyte` user).
ARG BASE_IMAGE=docker.io/airbyte/python-connector-base:4.0.2

FROM ${BASE_IMAGE} AS builder
WORKDIR /airbyte/integration_code
COPY pyproject.toml uv.lock README.md ./
COPY source_tiktok_ads ./source_tiktok_ads
# Install exactly the locked runtime dependencies, then the connector itself.
RUN python -m pip install --no-cache-dir uv==0.13.9 \
    && uv export --frozen --no-dev --no-emit-project --no-hashes -o requirements.txt \
    && python -m pip install --no-cache-dir -r requirements.txt \
    && python -m pip install --no-cache-dir --no-deps . \
    && python -m pip uninstall -y uv

FROM ${BASE_IMAGE}
COPY --from=builder /usr/local /usr/local
USER airbyte
ENV AIRBYTE_ENTRYPOINT="source-tiktok-ads"
ENTRYPOINT ["source-tiktok-ads"]
