export { createTestDatabase, testServerUrl, type TestDatabase } from './testDatabase.ts';
export { gatewayHeaders, postGraphQL } from './client.ts';
export { waitUntil } from './waitUntil.ts';
export { deleteRedisKeys } from './redisKeys.ts';
