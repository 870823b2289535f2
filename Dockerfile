# One image for every service; docker-compose.yml picks the service with SERVICE.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production APOLLO_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY gateway/package.json gateway/
COPY subgraphs/catalog/package.json subgraphs/catalog/
COPY subgraphs/cart/package.json subgraphs/cart/
COPY subgraphs/order/package.json subgraphs/order/
COPY subgraphs/payment/package.json subgraphs/payment/
COPY subgraphs/inventory/package.json subgraphs/inventory/
COPY subgraphs/identity/package.json subgraphs/identity/
COPY subgraphs/loyalty/package.json subgraphs/loyalty/
COPY scripts/generate.mjs scripts/
COPY prisma prisma
COPY codegen.yml ./
COPY packages/shared/src/graphql packages/shared/src/graphql
COPY subgraphs/catalog/src/schema.graphql subgraphs/catalog/src/
COPY subgraphs/cart/src/schema.graphql subgraphs/cart/src/
COPY subgraphs/order/src/schema.graphql subgraphs/order/src/
COPY subgraphs/payment/src/schema.graphql subgraphs/payment/src/
COPY subgraphs/inventory/src/schema.graphql subgraphs/inventory/src/
COPY subgraphs/identity/src/schema.graphql subgraphs/identity/src/
COPY subgraphs/loyalty/src/schema.graphql subgraphs/loyalty/src/
RUN npm ci --include=dev --no-audit --no-fund
COPY . .
EXPOSE 4000 4001 4002 4003 4004 4005 4006 4007
# SERVICE is "gateway" or a subgraph name (see docker-compose.yml).
CMD ["sh", "-c", "exec node_modules/.bin/tsx scripts/serve.ts \"$SERVICE\""]
