# pg-restore-drill as a container for Azure Functions (Elastic Premium, Linux): the Node.js 22 Functions host, the
# built app without dev dependencies, and the PostgreSQL 18 client tools. pg_restore reads custom-format archives
# written by pg_dump of its own and every older major, so the newest major Azure Database for PostgreSQL offers (18)
# covers every server a drill can meet (11 to 18). Not built here (no Docker engine on the build machine):
# test/infra/image.test.ts checks this file against package.json and infra/ instead.

# The build stage uses the same Node.js major as the runtime image (the test checks it), so native add-ons, if any
# ever appear, are built for the Node.js that runs them.
FROM node:22-bookworm-slim AS build
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

FROM mcr.microsoft.com/azure-functions/node:4-node22
# PostgreSQL client tools from the PostgreSQL project's APT repository (Debian bookworm's own are 15).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc \
 && . /etc/os-release \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-18 \
 && apt-get purge -y curl gnupg && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true \
    PG_BIN_DIR=/usr/lib/postgresql/18/bin \
    NODE_ENV=production

WORKDIR /home/site/wwwroot
COPY --from=build /src/package.json /src/host.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist/src ./dist/src
COPY --from=build /src/dist/schemas ./dist/schemas

# No USER: the Functions host runs as root, as the base image does. Microsoft's images for Linux Premium/Dedicated
# hosting are built to run as root (Azure/azure-functions-host#10164: "At this time Linux Dedicated images run in
# Root"); the base image listens on port 80 (ASPNETCORE_URLS=http://+:80) and its start script copies App Service's
# root certificates into /usr/local/share/ca-certificates and runs update-ca-certificates, which a non-root user
# cannot. Running as another user means chowning the host's own directories (/azure-functions-host,
# /FuncExtensionBundles, /home), a workaround the image does not support (Azure/azure-functions-docker#424 and #1210,
# both open). docs/deploy.md, "Why the container runs as root", has the details and what limits the exposure.
