# archive-bot: one binary, the shipped archive and its prebuilt index.
#
#   docker build -t archive-bot .
#   docker run -e TELOXIDE_TOKEN=... archive-bot            # serve (the default)
#   docker run archive-bot ask "锦湖街道集结了多少名机关干部?"
#   docker run -e TELOXIDE_TOKEN=... -v /srv/archive:/app/corpus:ro \
#       -v archive-bot-data:/app/data archive-bot           # serve your own archive, live
#
# Layers go from what changes least to what changes most: the binary is
# built from Cargo.toml, Cargo.lock and src/ only, so a change to corpus/ or
# config/ reindexes and recopies (seconds) instead of recompiling (minutes).
# The build stage and the runtime share Debian bookworm, so the binary's
# glibc matches.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /app
COPY Cargo.toml Cargo.lock ./
COPY src src
# Cache mounts (BuildKit, buildah): the crates download and the target
# directory survive between builds, so a change to src/ recompiles this crate
# and not its dependencies. The binary is copied out of the cache mount,
# which is not part of the image.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/app/target \
    cargo build --release --locked --bin archive-bot \
    && cp target/release/archive-bot /usr/local/bin/archive-bot
# Build the index of the shipped archive now, so the container answers its
# first question at once (an archive mounted over /app/corpus replaces it at
# start: serve checks the corpus and reindexes in the background).
COPY config config
COPY corpus corpus
RUN archive-bot index --corpus corpus --index data/index

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /usr/local/bin/archive-bot /usr/local/bin/archive-bot
COPY config config
COPY --from=build --chown=65532:65532 /app/data data
COPY corpus corpus
# An unprivileged user; it owns data/ so a changed corpus can be reindexed.
USER 65532:65532
ENV RUST_LOG=info
# Healthy while the index opens and `serve` beat its heartbeat
# (data/heartbeat, rewritten every 15 s) within the last minute. Kept in
# the image for Docker; OCI images (podman's default format) drop it, so
# compose.yaml repeats it.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/archive-bot", "health"]
ENTRYPOINT ["/usr/local/bin/archive-bot"]
CMD ["serve"]
