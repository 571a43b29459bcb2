# syntax=docker/dockerfile:1
# One image for every part of CONTRACT §5; SERVICES picks what a container runs.

# build: dev dependencies and the TypeScript compile
FROM node:24-alpine AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# runtime: production dependencies, the compiled code and the page; nothing else
FROM node:24-alpine AS runtime
WORKDIR /app
# HOST: a container is reached through its network interface, not its loopback
ENV NODE_ENV=production HOST=0.0.0.0
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/public ./public
# the embedded store's default DATA_DIR must be writable by the user the node runs as
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000 4000
# checks what SERVICES says this container runs: the gateway's and the sandbox's HTTP answers, and
# over NATS that the node itself is up and serves every service of its parts (bin/healthcheck.ts)
HEALTHCHECK --interval=15s --timeout=10s --start-period=30s --start-interval=2s --retries=3 \
  CMD ["node", "dist/bin/healthcheck.js"]
CMD ["node", "--disable-warning=DEP0174", "dist/bin/start.js"]
