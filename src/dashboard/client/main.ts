/** The dashboard's browser entry: the top bar, hash routes to pages, and live store changes. */
import type { ChangeEvent } from "../types.js";
import { api, subscribe } from "./api.js";
import type { AppContext, Page } from "./app.js";
import { comparePage } from "./compare-page.js";
import { datasetPage, datasetsPage } from "./datasets-page.js";
import { h, replaceChildren } from "./dom.js";
import { replayPage } from "./replay-page.js";
import { runPage } from "./run-page.js";
import { emptyStore, runsPage } from "./runs-page.js";

const app = document.getElementById("app")!;
const view = h("main", { id: "view" });
const live = h("span", { class: "live", title: "live updates from the store" }, h("i"), "live");
const storePath = h("span", { class: "store-path" });
const nav = { runs: h("a", { href: "#/" }, "Runs"), compare: h("a", { href: "#/compare" }, "Compare"), datasets: h("a", { href: "#/datasets" }, "Datasets") };
replaceChildren(app, h("header", { class: "topbar" }, h("a", { class: "brand", href: "#/" }, "tsrl ", h("span", null, "dashboard")), h("nav", null, nav.runs, nav.compare, nav.datasets), h("span", { class: "spacer" }), storePath, live), view);

let page: Page = {};
const ctx: AppContext = {
  status: { store: { state: "missing", dir: "" }, allowDelete: false, allowEdit: false, version: "" },
  selection: new Set(),
  navigate: (hash) => {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
};

function route(): void {
  page.dispose?.();
  page = {};
  window.scrollTo(0, 0);
  const [path = "/", query = ""] = location.hash.replace(/^#/, "").split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  nav.runs.classList.toggle("active", parts.length === 0);
  nav.compare.classList.toggle("active", parts[0] === "compare");
  nav.datasets.classList.toggle("active", parts[0] === "datasets" || parts[0] === "dataset");
  // datasets are files beside the runs database: they show even when it is missing
  if (parts[0] === "datasets") return void (page = datasetsPage(view, ctx));
  if (parts[0] === "dataset" && parts[1]) return void (page = datasetPage(view, ctx, parts[1]));
  const store = ctx.status.store;
  if (store.state !== "ok") {
    replaceChildren(view, store.state === "missing"
      ? emptyStore(store.dir, "No run store here yet", `tsrl found no runs database in ${store.dir}.`)
      : h("div", { class: "card empty" }, h("h2", null, "The run store cannot be read"), h("div", { class: "banner error" }, store.message ?? "unknown error"), h("p", { class: "muted" }, "This page tries again by itself.")));
    return;
  }
  if (parts[0] === "run" && parts[1]) page = runPage(view, ctx, parts[1]);
  else if (parts[0] === "compare") page = comparePage(view, ctx, params);
  else if (parts[0] === "replay" && parts[1]) page = replayPage(view, ctx, parts[1], params);
  else page = runsPage(view, ctx);
}

async function refreshStatus(): Promise<void> {
  try {
    ctx.status = await api.status();
  } catch (err) {
    ctx.status = { ...ctx.status, store: { state: "error", dir: ctx.status.store.dir, message: (err as Error).message } };
  }
  storePath.textContent = ctx.status.store.dir;
  storePath.title = ctx.status.store.dir;
}

function onChange(event: ChangeEvent): void {
  if (ctx.status.store.state !== "ok") {
    // The store appeared (or became readable): show it.
    void refreshStatus().then(() => ctx.status.store.state === "ok" && route());
    return;
  }
  page.onChange?.(event);
}

window.addEventListener("hashchange", route);
await refreshStatus();
route();
subscribe(onChange, (up) => live.classList.toggle("on", up));
