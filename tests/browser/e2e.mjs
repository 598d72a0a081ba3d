// e2e.mjs: Parley's pages in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core) against a real `parley serve`. Run by tests/cli/serve_browser.sh, which
// prepares the data and passes: PARLEY_URL (the address with the token), SHOTS (where the
// screenshots go), MEETING (the id of the meeting with a recording, summary and notes),
// PROFILE (a fresh --user-data-dir), PULL_SIZE (bytes of the model the picker downloads).
import { createRequire } from "node:module";
import assert from "node:assert/strict";
import path from "node:path";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const env = process.env;
const shots = env.SHOTS;
const meetingId = Number(env.MEETING);
let step = 0;
const shot = async (page, name) => {
  step++;
  const file = path.join(shots, String(step).padStart(2, "0") + "-" + name + ".png");
  await page.screenshot({ path: file, fullPage: true });
  console.error("screenshot " + file);
};
const ok = (what) => console.error("ok: " + what);

const context = await chromium.launchPersistentContext(env.PROFILE, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
  viewport: { width: 1200, height: 900 },
});
const page = context.pages()[0] || (await context.newPage());
const problems = [];
page.on("pageerror", (e) => problems.push("page error: " + e.message));
page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
// Nothing may be fetched from anywhere but the server itself.
const origin = new URL(env.PARLEY_URL).origin;
page.on("request", (r) => {
  const u = r.url();
  if (!u.startsWith(origin) && !u.startsWith("blob:") && !u.startsWith("data:")) problems.push("foreign request: " + u);
});

try {
  // Meetings: the list, then search by a word of a transcript.
  await page.goto(env.PARLEY_URL);
  await page.waitForSelector("#sessions li");
  assert.equal(await page.locator("#sessions li").count(), 2);
  assert.match(await page.locator("#local-mode").innerText(), /Local mode/);
  assert.ok(!page.url().includes("token="), "the token stays in the address bar: " + page.url());
  await shot(page, "meetings");
  await page.fill("#search", "furniture");
  await page.waitForSelector("#hits li");
  assert.equal(await page.locator("#hits li").count(), 1);
  assert.match(await page.locator("#hits li a.title").innerText(), /Budget sync/);
  assert.equal((await page.locator("#hits mark").first().innerText()).toLowerCase(), "furniture");
  await shot(page, "search");
  ok("search finds the meeting by a word of its transcript");

  // A meeting: transcript with Me/Them and times, summary, notes.
  await page.click("#hits li a.title");
  await page.waitForSelector("#transcript li");
  assert.equal(await page.locator("#transcript li").count(), 4);
  assert.deepEqual(await page.locator("#transcript .who").allInnerTexts(), ["Me", "Them", "Me", "Them"]);
  assert.equal(await page.locator("#transcript .t").first().innerText(), "0:00");
  assert.equal(await page.locator("#seg-1.playing").count(), 1, "the hit's line is marked");
  const summary = await page.locator("#summary").innerText();
  assert.ok(summary.length > 20 && !/No summary yet/.test(summary), "summary: " + summary);
  const notes = await page.locator("#notes").innerText();
  assert.ok(notes.length > 10 && !/No notes yet/.test(notes), "notes: " + notes);
  const sugg = await page.locator("#suggestions").innerText();
  assert.ok(sugg.length > 0 && !/No suggestions yet/.test(sugg) && !/\bnull\b/.test(sugg), "suggestions: " + sugg);
  // Click a time: the recording plays from there.
  await page.click("#seg-2 .t");
  await page.waitForFunction(() => { const a = document.getElementById("player"); return a && a.src && a.currentTime >= 10; },
    null, { timeout: 15000 });
  await shot(page, "meeting");
  ok("a meeting shows transcript, summary and notes; a time plays the recording there");

  // Edit a line in place; it persists after a reload.
  await page.click("#seg-1 .text");
  await page.fill("#seg-1 textarea", "I think we should spend twelve thousand on chairs.");
  await page.press("#seg-1 textarea", "Enter");
  await page.waitForSelector("#edited-note:not([hidden])");
  await page.reload();
  await page.waitForSelector("#transcript li");
  assert.equal(await page.locator("#seg-1 .text").innerText(), "I think we should spend twelve thousand on chairs.");
  await page.click("#seg-1 .text");
  await page.press("#seg-1 textarea", "Escape");
  await shot(page, "edited");
  ok("an edited line persists after reload");

  // Chat: the answer streams in (the text grows in several steps before it is done).
  await page.evaluate(() => {
    window.__growth = 0;
    new MutationObserver(() => {
      const a = document.querySelector("#chat-log .msg.assistant.streaming");
      if (a && a.textContent.length) window.__growth++;
    }).observe(document.getElementById("chat-log"), { subtree: true, childList: true, characterData: true });
  });
  await page.fill("#question", "Who sends the quote?");
  await page.click("#chat-log + form button[type=submit]");
  await page.waitForSelector("#chat-log .msg.assistant.done", { timeout: 60000 });
  const growth = await page.evaluate(() => window.__growth);
  assert.ok(growth >= 2, "the answer arrived in " + growth + " step(s), not streamed");
  const answer = await page.locator("#chat-log .msg.assistant.done").innerText();
  assert.ok(answer.trim().length > 0);
  await shot(page, "chat");
  ok("a chat answer streams in (" + growth + " updates)");

  // Models: fit labels, Recommended/blocking state, a pull with progress to done.
  await page.goto(origin + "/#/models");
  await page.waitForSelector("table.models[data-kind=llm] tbody tr");
  const labels = await page.locator("table.models[data-kind=llm] .badge[class*=fit-]").allInnerTexts();
  assert.ok(labels.length >= 1 && labels.every((l) => /^(Great fit|Tight fit|Won't fit)( \+ Slow)?$/.test(l)), labels.join("|"));
  const row = page.locator("tr[data-model=tiny-chat]");
  await row.locator("button[data-pull]").click();
  await page.waitForFunction(() => { const s = document.querySelector("tr[data-model=tiny-chat] .pull-status");
    return s && /of .*\/s/.test(s.textContent); }, null, { timeout: 30000 });
  const mid = await row.locator(".pull-status").innerText();
  await shot(page, "models-downloading");
  await page.waitForSelector("tr[data-model=tiny-chat] td[data-done]", { timeout: 60000 });
  const fin = await row.locator(".pull-status").innerText();
  assert.match(fin, /done: .* verified by size/);
  assert.equal(await row.locator("progress").evaluate((p) => p.max), Number(env.PULL_SIZE));
  await shot(page, "models-done");
  await page.reload();
  await page.waitForSelector("tr[data-model=tiny-chat]");
  assert.match(await page.locator("tr[data-model=tiny-chat]").innerText(), /on disk/);
  ok("the picker shows fit labels; a pull ran to done with progress (" + mid.trim() + ")");

  // Settings persist.
  await page.goto(origin + "/#/settings");
  await page.waitForSelector("#auto");
  assert.equal(await page.isChecked("#auto"), true);
  // The model that runs is the one given to parley serve (--model), not "none chosen".
  assert.match(await page.locator("#model-in-use").innerText(), /stories260K.*--model/);
  await page.uncheck("#auto");
  await page.fill("#vocab", "Parley\nAnn Lee");
  await page.fill("#lang", "de");
  await page.click("form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("[role=status]").textContent === "Saved.");
  await page.reload();
  await page.waitForSelector("#auto");
  assert.equal(await page.isChecked("#auto"), false);
  assert.equal(await page.inputValue("#vocab"), "Parley\nAnn Lee");
  assert.equal(await page.inputValue("#lang"), "de");
  await shot(page, "settings");
  ok("settings persist");

  await page.goto(origin + "/#/live");
  await page.waitForSelector("h1");
  await shot(page, "live");

  assert.deepEqual(problems, []);
} catch (e) {
  await shot(page, "FAILED").catch(() => {});
  console.error("problems seen: " + JSON.stringify(problems));
  throw e;
} finally {
  await context.close();
}
