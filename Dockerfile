# syntax=docker/dockerfile:1
# perfguard's container image: the GitHub Action runs it.
#
#   docker build -t perfguard .                         # compile in the image (CI, release)
#   docker build --target prebuilt \
#     --build-arg BINARY=target/release/perfguard -t perfguard .   # package a binary built outside
#
# Stages: `build` compiles with the toolchain's Rust image, `runtime-base` is a
# slim Debian with git and CA certificates, `prebuilt` packages a binary from
# the build context, and `runtime` (the default, last) packages the one `build`
# compiled.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked \
 && install -m 0755 target/release/perfguard /perfguard

FROM debian:bookworm-slim AS runtime-base
# git for the baseline branch; CA certificates for api.github.com. Installed
# only when the base image lacks them (an offline-built base already has them).
RUN if ! command -v git >/dev/null || [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends git ca-certificates \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 # The runner mounts the workspace owned by another user than the container's:
 # git's (and libgit2's) owner check must not refuse it.
 && git config --system --add safe.directory '*'
LABEL org.opencontainers.image.title="perfguard" \
      org.opencontainers.image.description="CI-native performance regression checker" \
      org.opencontainers.image.source="https://github.com/perfguard/perfguard"

FROM runtime-base AS prebuilt
ARG BINARY=target/release/perfguard
COPY ${BINARY} /usr/local/bin/perfguard
ENTRYPOINT ["/usr/local/bin/perfguard"]

FROM runtime-base AS runtime
COPY --from=build /perfguard /usr/local/bin/perfguard
ENTRYPOINT ["/usr/local/bin/perfguard"]
