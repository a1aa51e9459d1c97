# archive-bot: one binary, the shipped archive and its prebuilt index.
#
#   docker build -t archive-bot .
#   docker run -e TELOXIDE_TOKEN=... archive-bot            # serve (the default)
#   docker run archive-bot ask "锦湖街道集结了多少名机关干部?"
#
# The build stage and the runtime share Debian bookworm, so the binary's
# glibc matches.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /app
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY corpus corpus
COPY config config
RUN cargo build --release --locked --bin archive-bot
# Build the index now, so the container answers its first question at once.
RUN ./target/release/archive-bot index --corpus corpus --index data/index

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/target/release/archive-bot /usr/local/bin/archive-bot
COPY --from=build --chown=65532:65532 /app/data data
COPY corpus corpus
COPY config config
# An unprivileged user; it owns data/ so a changed corpus can be reindexed.
USER 65532:65532
ENV RUST_LOG=info
# Healthy while the index opens and `serve` beat its heartbeat
# (data/heartbeat, rewritten every 15 s) within the last minute.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/archive-bot", "health"]
ENTRYPOINT ["/usr/local/bin/archive-bot"]
CMD ["serve"]
