// live.mjs: the Live page in headless Chromium against a real `parley serve` whose
// PulseAudio is the test's private server (tests/cli/serve_browser_live.sh): start a
// meeting on the virtual sources, speech played into both, lines arriving with Me/Them,
// a typed note, a suggestion, stop, the summary made at stop. Env: PARLEY_URL, SHOTS, PROFILE, ME_WAV, THEM_WAV.
import { createRequire } from "node:module";
import { execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import path from "node:path";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const env = process.env;
const shot = (page, name) => page.screenshot({ path: path.join(env.SHOTS, name + ".png"), fullPage: true });
const context = await chromium.launchPersistentContext(env.PROFILE, {
  executablePath: "/usr/bin/chromium", headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
  viewport: { width: 1200, height: 900 },
});
const page = context.pages()[0] || (await context.newPage());
const origin = new URL(env.PARLEY_URL).origin;
try {
  await page.goto(env.PARLEY_URL);
  await page.waitForSelector("#sessions, main p");
  await page.goto(origin + "/#/live");
  await page.waitForSelector("#live-start");
  await page.fill("#live-title", "Browser live test");
  await page.fill("#live-mic", "mic.monitor");
  await page.fill("#live-system", "meeting.monitor");
  await page.click("#live-start");
  await page.waitForFunction(() => /Recording/.test(document.getElementById("live-status").textContent), null, { timeout: 60000 });
  await page.waitForTimeout(800);
  // The meters follow the level events: keep the widest each one gets while speech plays.
  await page.evaluate(() => {
    window.widest = {};
    setInterval(() => document.querySelectorAll(".meter span").forEach((m, i) => {
      window.widest[i] = Math.max(window.widest[i] || 0, parseFloat(m.style.width) || 0);
    }), 50);
  });
  execFileSync("paplay", ["-d", "mic", env.ME_WAV]);
  await page.waitForTimeout(500);
  execFileSync("paplay", ["-d", "meeting", env.THEM_WAV]);
  await page.waitForTimeout(400);
  const widest = await page.evaluate(() => window.widest);
  assert.ok(widest[0] > 10 && widest[1] > 10, "the level meters did not move: " + JSON.stringify(widest));
  await page.fill("#live-box", "check the budget figure");
  await page.click("text=Add note");
  // The note's line and a spoken line (they come in any order).
  await page.waitForFunction(() => {
    const who = [...document.querySelectorAll("#live-transcript .who")].map((w) => w.textContent);
    return who.includes("Note") && who.some((w) => w === "Me" || w === "Them");
  }, null, { timeout: 90000 });
  const who = await page.locator("#live-transcript .who").allInnerTexts();
  assert.ok(who.includes("Note"), who.join(","));
  assert.ok(who.some((w) => w === "Me" || w === "Them"), who.join(","));
  // A question mid-meeting: answered by the meeting's own assistant, on the meeting's stream.
  const asked = page.waitForResponse((r) => r.url().endsWith("/api/live/ask"));
  await page.fill("#live-box", "what was said about the budget?");
  await page.click("text=Ask");
  assert.equal((await asked).status(), 200, "the meeting's assistant did not take the question");
  await page.waitForFunction(() => {
    const a = document.querySelector("#live-answer .msg.assistant");
    return a && a.textContent.trim().length > 0 && !/^No answer/.test(a.textContent);
  }, null, { timeout: 90000 });
  const suggested = page.waitForResponse((r) => r.url().endsWith("/api/live/suggest"));
  await page.click("text=Suggest what to say");
  assert.equal((await suggested).status(), 200, "the meeting's assistant did not take the request for a suggestion");
  await page.waitForSelector("#live-suggestion li, #live-suggestion .error", { timeout: 90000 });
  const sugg = await page.locator("#live-suggestion").innerText();
  await shot(page, "20-live-recording");
  assert.equal(await page.locator("#live-suggestion .error").count(), 0, sugg);
  assert.ok(!/\bnull\b/.test(sugg), "a stray 'null' in the suggestion card: " + sugg);
  assert.ok(await page.locator("#live-summary").isChecked(), "the summary at stop is asked for by default");
  // Whether "Skip the summary" is offered while the summary is written (it may be quick).
  await page.evaluate(() => {
    const obs = new MutationObserver(() => {
      if (/Writing the summary/.test(document.getElementById("live-status").textContent))
        window.sawWriting = true, window.sawSkip = window.sawSkip || !document.getElementById("live-skip-summary").hidden;
    });
    obs.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await page.click("#live-stop");
  await page.waitForFunction(() => /Stopped/.test(document.getElementById("live-status").textContent), null, { timeout: 120000 });
  // The summary at stop, from the meeting's warm assistant: it shows its progress, then itself.
  await page.waitForFunction(() => /Writing the summary|summary are stored/.test(document.getElementById("live-status").textContent),
    null, { timeout: 60000 });
  // Drawn from the stored summary, as on the meeting's page (its "made by" line).
  await page.waitForSelector("#live-summary-box:not([hidden]) .made-by", { timeout: 180000 });
  const summary = await page.locator("#live-summary-box").innerText();
  assert.ok(!/###/.test(summary), "the summary shows raw Markdown: " + summary.slice(0, 200));
  assert.ok(await page.locator("#live-skip-summary").isHidden(), "'Skip the summary' stays after the summary");
  assert.ok(await page.evaluate(() => window.sawWriting && window.sawSkip), "no progress, or no way to skip, while the summary was written");
  assert.match(await page.locator("#live-status").innerText(), /summary are stored/);
  assert.ok(await page.locator("#alert").isHidden(), "an error was shown: " + (await page.locator("#alert").textContent()));
  await page.waitForSelector("#live-status a", { timeout: 30000 }); // "Open it": the job ended as done
  await shot(page, "21-live-stopped");
  console.error("ok: live page: lines " + who.join(",") + "; suggestion: " + sugg.replace(/\n/g, " | "));
} catch (e) {
  await shot(page, "2x-live-FAILED").catch(() => {});
  throw e;
} finally {
  await context.close();
}
