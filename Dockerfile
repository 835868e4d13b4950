# The relay as production runs it: `node dist/main.js`, configured from env alone.
# Build: docker build -t dropea-relay . ; how to run and deploy it: docs/deployment.md.
#
# The runtime is Google's distroless Node.js image (:nonroot): Node and glibc from Debian 12,
# like the build stages, and nothing else: no shell, no package manager, no npm, uid 65532.
# Smaller than node:*-slim and with far fewer packages to patch; glibc rather than Alpine's musl,
# which Node supports only experimentally. docs/deployment.md says more about the choice.
#
# Node 24, the current LTS line. The relay runs on Node 22.13 or newer (package.json `engines`):
# the spool's store is node:sqlite, which Node 22 still marks experimental; build with
# --build-arg NODE_MAJOR=22 for that line.
ARG NODE_MAJOR=24

# Production dependencies only, exactly as the lock file has them. Install scripts are skipped:
# the production tree has no native addon, and its two scripts (@scarf/scarf's telemetry ping,
# protobufjs's version notice) do nothing the relay needs.
FROM node:${NODE_MAJOR}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The compiler and types, to build dist/.
FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The spool's mount point, created here because the runtime image has no shell to do it. The
# compiler's build info (tsconfig.build.json) is only for local rebuilds.
RUN npm run build && rm dist/.tsbuildinfo && mkdir -p /spool

FROM gcr.io/distroless/nodejs${NODE_MAJOR}-debian12:nonroot
# The release, package.json's version (a test holds this default to it; CHANGELOG.md).
ARG VERSION=1.0.0
LABEL org.opencontainers.image.title="dropea-relay" \
      org.opencontainers.image.description="Dropea order and incidence webhooks to Kafka as CloudEvents" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
# A young generation of 3 × 8 MB instead of V8's 3 × 16 MB, which made the peak RSS saw-tooth
# higher; a smaller one raises it again. An old generation of at most 256 MB, what V8 gives
# itself in a container limited to 512 MiB or less: without a bound it sizes its limits from
# the machine's memory, and on a large node the old space then grows by a hundred MB and more
# between full collections, pages the process keeps (docs/benchmarks.md, Memory).
ENV NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=256"
# glibc's allocator gives a block of 16 KB or more a mapping of its own, returned to the system
# when freed, instead of a place in its arenas, where freed memory stays with the process (Node's
# 64 KB socket reads, 32 KB blocks). glibc's own threshold starts at 128 KB and rises to the
# largest block freed, so those blocks stayed; this one is fixed. It takes about 25 MB off the
# peak RSS under load for no measurable CPU (docs/benchmarks.md, Memory; the tunable:
# https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html).
ENV GLIBC_TUNABLES="glibc.malloc.mmap_threshold=16384"
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/dist ./dist
# Where SPOOL_DIR points when the spool is on (docs/guarantees.md): owned by the relay's user,
# so a volume mounted here starts with that owner.
COPY --from=build --chown=65532:65532 /spool /var/lib/dropea-relay/spool
# Numeric, so Kubernetes can check runAsNonRoot against it.
USER 65532:65532
EXPOSE 3000
# SIGTERM goes straight to Node (PID 1), which drains and exits 0 (src/main.ts); the relay
# starts no child process, so no init is needed to reap one. Other programs of the image run
# with arguments, e.g. `dist/cli/dlq-replay/main.js --apply` (README, Replaying dead letters).
ENTRYPOINT ["/nodejs/bin/node"]
CMD ["dist/main.js"]
