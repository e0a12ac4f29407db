// Opens a perfguard page (HTML report or dashboard) from disk in headless
// Chromium, scrolls through it so lazy charts draw, and prints what it saw
// as one JSON line. Exits 1 on any console error, page error, request to
// anything but file: or data:, or a chart left undrawn.
//
//   node open.js PAGE.html SCREENSHOT.png [--search TEXT] [--full-page]
//
// CHROMIUM (default /usr/bin/chromium) names the browser.
"use strict";
const puppeteer = require("puppeteer-core");
const path = require("path");

async function main() {
  const args = process.argv.slice(2);
  const file = path.resolve(args[0]);
  const shot = args[1];
  const search = args.includes("--search") ? args[args.indexOf("--search") + 1] : null;
  const fullPage = args.includes("--full-page");
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--headless=new"],
    headless: true,
  });
  const errors = [];
  const requests = [];
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.setRequestInterception(true);
    page.on("request", (req) => {
      const url = req.url();
      if (url.startsWith("file:") || url.startsWith("data:")) {
        req.continue();
      } else {
        requests.push(url);
        req.abort();
      }
    });
    page.on("console", (msg) => {
      if (msg.type() === "error") errors.push("console: " + msg.text());
    });
    page.on("pageerror", (err) => errors.push("page: " + err.message));
    page.on("dialog", async (d) => {
      errors.push("dialog: " + d.message());
      await d.dismiss();
    });
    const started = Date.now();
    await page.goto("file://" + file, { waitUntil: "load" });
    const loadMs = Date.now() - started;
    const count = () =>
      page.evaluate(() => {
        const visible = [...document.querySelectorAll(".chart")].filter((c) => c.offsetParent !== null);
        return {
          charts: visible.length,
          drawn: visible.filter((c) => c.dataset.drawn === "1" && c.querySelector("canvas")).length,
          canvases: document.querySelectorAll(".chart canvas").length,
          injected: document.querySelectorAll("img, iframe, object, embed").length,
        };
      });
    await new Promise((r) => setTimeout(r, 300));
    const atLoad = await count();
    if (search != null) {
      await page.type("#search", search);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Scroll through the page, a screen at a time, so each chart comes into view.
    for (let i = 0; i < 2000; i++) {
      const done = await page.evaluate(() => {
        window.scrollBy(0, Math.max(200, window.innerHeight - 100));
        return window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2;
      });
      await new Promise((r) => setTimeout(r, 60));
      if (done) break;
    }
    await new Promise((r) => setTimeout(r, 300));
    const after = await count();
    await page.evaluate(() => window.scrollTo(0, 0));
    await new Promise((r) => setTimeout(r, 200));
    await page.screenshot({ path: shot, fullPage });
    const title = await page.title();
    const shown = await page.evaluate(() => {
      const s = document.getElementById("shown");
      return s ? s.textContent : null;
    });
    const result = { title, loadMs, atLoad, after, shown, errors, requests };
    console.log(JSON.stringify(result));
    const ok = errors.length === 0 && requests.length === 0 && after.charts > 0 &&
      after.drawn === after.charts && after.injected === 0;
    process.exitCode = ok ? 0 : 1;
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
