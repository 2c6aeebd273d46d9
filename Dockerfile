# mail-autoconfig: production image. Build: docker build -t mail-autoconfig .
# The steps mirror CI (.ci/run): npm ci, npm run build; the final stage has only the
# runtime dependencies (npm ci --omit=dev) and the compiled dist/.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim
# MAIL_AUTOCONFIG_ALLOW_EXAMPLES=false: the server refuses to start on the example
# providers shipped in the repository's config/ (marked "# mail-autoconfig: shipped
# example"), should a copy of them be mounted; set it to true only to try them out.
ENV NODE_ENV=production \
    MAIL_AUTOCONFIG_CONFIG=/etc/mail-autoconfig \
    MAIL_AUTOCONFIG_ALLOW_EXAMPLES=false \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# The image carries no configuration (the example providers stay out: .dockerignore).
# Mount yours here, read-only: providers/*.yaml (or .yml, .json, ISPDB .xml) and an
# optional settings.yaml. Without it the server exits 1 naming the missing directory.
VOLUME ["/etc/mail-autoconfig"]
# The node image's unprivileged user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# Node's own fetch: the slim image has no curl or wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 and handles SIGTERM (graceful stop) and SIGHUP (reload) itself.
ENTRYPOINT ["node", "dist/cli/index.js"]
CMD ["serve"]
