# The one image every component runs: `metallb-ts webhook|reconciler|speaker`.
# Node 24 runs the TypeScript sources directly (type stripping): there is no
# compile step, only the speaker's native addon, built in the first stage, and
# Node's compile cache, warmed there so that no component loads the type
# stripper at run time (about 25 MB of RSS per process; bin/metallb-ts.js).
#
#   docker build -t ghcr.io/metallb-ts/metallb-ts:0.1.0 .
#
# Not built on the project's machines (they have no container engine); see
# docs/install.md.
ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
# node-gyp's toolchain for speaker/native (C++, Node-API). The image's Node
# ships its headers under /usr/local/include/node, so nothing is downloaded.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Dependencies first: this layer is rebuilt only when they change.
COPY package.json package-lock.json ./
COPY speaker/native/ speaker/native/
# `npm ci` runs package.json's install script (speaker/native/build.js), which
# needs node-gyp, a devDependency: install everything, then drop devDependencies.
# (The `node` devDependency, Node 24 for npm scripts on machines without it,
# is dropped too: here the base image's node is the runtime.)
RUN npm ci --no-audit --no-fund \
 && test -f speaker/native/build/Release/metallb_link.node \
 && npm prune --omit=dev --no-audit --no-fund
COPY . .
RUN node scripts/warm-compile-cache.js

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules/ node_modules/
COPY --from=build /app/bin/ bin/
COPY --from=build /app/cli/ cli/
COPY --from=build /app/core/ core/
COPY --from=build /app/webhook/ webhook/
COPY --from=build /app/reconciler/ reconciler/
COPY --from=build /app/speaker/ speaker/
# Keyed by absolute path and Node version: both are the same in this stage.
COPY --from=build /app/.cache/node-compile-cache/ .cache/node-compile-cache/
# 65532: the conventional non-root "nonroot" user, owning nothing in the image.
# The speaker's DaemonSet runs it as root with only NET_RAW (docs/install.md).
USER 65532:65532
ENTRYPOINT ["node", "bin/metallb-ts.js"]
CMD ["--help"]
