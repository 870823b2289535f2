/** Polls `check` until it holds; throws when it still does not after `ms` (tests waiting for something asynchronous). */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
