// Opens Continuum's GraphiQL in headless Chromium with every request outside the server
// refused (a closed clinic network), loads the Docs (the schema fetched by introspection),
// runs `Me` with the bearer header, takes a screenshot, and prints what the page showed as
// one line of JSON for tests/api/graphiql.rs to assert on.
//
//   node graphiql.mjs <base url> <access token> <screenshot path>
import { chromium } from 'playwright-core';

const [base, token, screenshot] = process.argv.slice(2);
const origin = new URL(base).origin;
const outside = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // No network but the server: anything else is refused and recorded.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
  await context.addInitScript(([headers, query]) => {
    localStorage.setItem('graphiql:headers', headers);
    localStorage.setItem('graphiql:query', query);
  }, [JSON.stringify({ Authorization: `Bearer ${token}` }), 'query Me { me { email role } }']);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/graphql`);
  await page.waitForSelector('.graphiql-container', { timeout: 30000 });

  await page.click('.graphiql-execute-button');
  // Locators, not page functions: the page's policy forbids eval in its own world.
  await page.locator('.result-window', { hasText: '"role"' }).waitFor({ timeout: 30000 });
  const result = await page.locator('.result-window').textContent();

  await page.click('[aria-label="Show Documentation Explorer"]');
  await page.locator('.graphiql-doc-explorer', { hasText: /Root Types|query:/ }).waitFor({ timeout: 30000 });
  const docs = await page.locator('.graphiql-doc-explorer').textContent();
  await page.screenshot({ path: screenshot });
  console.log(JSON.stringify({ rendered: true, result, docs, outside, errors }));
} catch (e) {
  console.log(JSON.stringify({ rendered: false, failure: String(e), outside }));
} finally {
  await browser.close();
}
