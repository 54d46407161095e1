# pg-restore-drill as a container for Azure Functions (Elastic Premium, Linux): the Node.js 20 Functions host, the
# built app without dev dependencies, and the PostgreSQL 17 client tools, whose pg_restore reads custom-format
# dumps of every server version Azure Database for PostgreSQL runs (11 to 17). Not built here (no Docker engine on
# the build machine).

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json host.json ./
COPY schemas ./schemas
COPY src ./src
COPY emulator ./emulator
COPY demo ./demo
COPY reference ./reference
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM mcr.microsoft.com/azure-functions/node:4-node20
# PostgreSQL client tools from the PostgreSQL project's APT repository (Debian's own are older).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc \
 && . /etc/os-release \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-17 \
 && apt-get purge -y curl gnupg && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    PG_BIN_DIR=/usr/lib/postgresql/17/bin \
    NODE_ENV=production

WORKDIR /home/site/wwwroot
COPY --from=build /src/package.json /src/host.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/schemas ./dist/schemas
