# syntax=docker/dockerfile:1
#
# One image for every service; docker-compose.yml picks the entrypoint per container, e.g.
#   command: ["node", "--import", "tsx", "command-api/main.ts"]   (what `npm run start:command-api` runs)
#
# Why tsx at runtime instead of compiling with tsc: the services are written to be run by tsx
# (tsconfig has noEmit and moduleResolution "Bundler", imports carry no file extensions), so a
# tsc build would need a second tsconfig, import rewrites and a different start command than the
# one tested in development and CI. tsx is therefore a runtime requirement of the start scripts
# and lives in "dependencies", so `npm ci --omit=dev` below installs it. It runs inside the node
# process (`node --import tsx`), so there is no extra process between the container's init and
# the service: SIGTERM reaches the service's graceful shutdown directly.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency and every source but the tests; the type check must pass ---------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
# The build context holds no test code (.dockerignore): the type check proves the services
# compile without it, and nothing below can copy it into the image.
COPY . .
# The console is built here, once, into web/dist/ (the `web` service serves it; npm start builds
# it itself when missing or stale, web/build.ts).
RUN npm run typecheck \
 && npm run web:build

# ---- runtime: production dependencies and the service sources only ----------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/tsconfig.json ./
COPY --from=build /app/domain ./domain
COPY --from=build /app/platform ./platform
COPY --from=build /app/command-api ./command-api
COPY --from=build /app/query-api ./query-api
COPY --from=build /app/saga ./saga
COPY --from=build /app/projectors ./projectors
# The console's origin and the built console; not the console's sources.
COPY --from=build /app/web/origin ./web/origin
COPY --from=build /app/web/dist ./web/dist
# Files stay owned by root and read-only to the service: it never writes to its own code.
USER node
EXPOSE 3000 3001 3002 3003 3004 3005
CMD ["node", "--import", "tsx", "command-api/main.ts"]
