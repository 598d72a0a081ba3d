// remote.mjs: what a team server made is labelled in the pages (headless Chromium, Debian's
// /usr/bin/chromium driven by playwright-core). Run by tests/cli/serve_remote.sh against a
// `parley serve` whose default team server is "team" and whose meeting MEETING has a summary
// and a chat answer made there. Env: PARLEY_URL (with the token), MEETING, PROFILE, SHOTS.
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import path from "node:path";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const env = process.env;
const context = await chromium.launchPersistentContext(env.PROFILE, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
  viewport: { width: 1200, height: 900 },
});
const page = context.pages()[0] || (await context.newPage());
const problems = [];
page.on("pageerror", (e) => problems.push("page error: " + e.message));
page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
const origin = new URL(env.PARLEY_URL).origin;
page.on("request", (r) => {
  const u = r.url();
  if (!u.startsWith(origin) && !u.startsWith("blob:") && !u.startsWith("data:")) problems.push("foreign request: " + u);
});
try {
  await page.goto(env.PARLEY_URL);
  await page.waitForSelector("#sessions li");
  await page.waitForFunction(() => /Team server: team/.test(document.getElementById("local-mode").textContent));
  console.error("ok: the header names the team server");
  await page.evaluate((id) => { location.hash = "#/meeting/" + id; }, env.MEETING);
  await page.waitForSelector("#summary .badge.remote");
  assert.equal(await page.locator("#summary .badge.remote").innerText(), "remote: team");
  assert.match(await page.locator("#summary .made-by").innerText(), /Made by team server team/);
  await page.waitForSelector("#chat-log .msg.assistant .badge.remote");
  assert.equal(await page.locator("#chat-log .msg.assistant .badge.remote").first().innerText(), "remote: team");
  assert.equal(await page.locator("#chat-log .msg.user .badge").count(), 0);
  await page.screenshot({ path: path.join(env.SHOTS, "remote-meeting.png"), fullPage: true });
  console.error("ok: the summary and the chat answer carry the team server's label");
  assert.deepEqual(problems, []);
} finally {
  await context.close();
}
