# syntax=docker/dockerfile:1
# perfguard's container image: the container action (container/action.yml)
# runs it, and so can other CI systems and Kubernetes Jobs.
#
#   docker build --build-arg GIT_SHA="$(git rev-parse HEAD)" -t perfguard .
#   docker build --target prebuilt \
#     --build-arg BINARY=target/release/perfguard -t perfguard .   # package a binary built outside
#
# Stages:
#   build         compiles in the official Rust image: OpenSSL from source
#                 (the `vendored-openssl` feature, docs/BUILD.md), so the
#                 binary needs no libssl, and the slim image needs no headers;
#   runtime-base  Debian trixie-slim with git and CA certificates: new enough
#                 that binaries built on current runners start in it;
#   prebuilt      packages a binary from the build context;
#   runtime       (the default, last) packages the one `build` compiled.

ARG RUST_VERSION=1.95

FROM rust:${RUST_VERSION}-slim-bookworm AS build
# OpenSSL's Configure needs make and perl with its core modules (IPC::Cmd);
# the slim image has a C compiler and nothing else.
RUN apt-get update \
 && apt-get install -y --no-install-recommends make perl \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, in their own layer: built against an empty crate, so a
# change to perfguard's sources rebuilds perfguard only.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked --features vendored-openssl \
 && rm -rf src
COPY src ./src
# The commit `perfguard --version` names: .git is not in the build context.
ARG GIT_SHA=""
ENV PERFGUARD_GIT_SHA=${GIT_SHA}
# COPY keeps the context's modification times, which may be older than the
# empty crate's build: touch them so cargo rebuilds perfguard itself.
RUN touch src/main.rs src/lib.rs build.rs \
 && cargo build --release --locked --features vendored-openssl \
 && install -m 0755 target/release/perfguard /perfguard \
 && /perfguard --version

FROM debian:trixie-slim AS runtime-base
# git for the baseline branch; CA certificates for api.github.com.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
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
