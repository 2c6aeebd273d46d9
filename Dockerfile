# Build stage: the same steps CI proves (npm ci, build).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled server only, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    MAIL_AUTOCONFIG_CONFIG=/etc/mail-autoconfig
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config /etc/mail-autoconfig
USER node
EXPOSE 8080
VOLUME ["/etc/mail-autoconfig"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
