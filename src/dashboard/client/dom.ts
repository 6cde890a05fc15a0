/**
 * Building the page's DOM. Text always goes in as text nodes and attributes through
 * setAttribute, so run names, config values and metric keys can never become markup.
 */

export type Child = Node | string | number | null | undefined | false;
type Handler = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | Handler | Record<string, string> | null | undefined>;

/** Properties set directly (they are state, not markup). */
const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "indeterminate"]);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.replace(/^on/, ""), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (PROPERTIES.has(name)) (el as unknown as Record<string, unknown>)[name] = value;
    else el.setAttribute(name === "className" ? "class" : name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function replaceChildren(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A two-column table of key/value pairs; nested objects become dotted keys. */
export function keyValueTable(entries: [string, unknown][]): HTMLTableElement {
  const rows: [string, unknown][] = [];
  const add = (key: string, value: unknown) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) {
      for (const [k, v] of Object.entries(value)) add(`${key}.${k}`, v);
    } else rows.push([key, value]);
  };
  for (const [k, v] of entries) add(k, v);
  return h("table", { class: "kv" }, h("tbody", null, rows.map(([k, v]) => h("tr", null, h("td", null, k), h("td", { class: "mono" }, formatValue(v))))));
}

/** Key/value pairs in as many columns as fit (nested objects become dotted keys), nothing hidden. */
export function keyValueGrid(entries: [string, unknown][]): HTMLElement {
  const rows: [string, unknown][] = [];
  const add = (key: string, value: unknown) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) {
      for (const [k, v] of Object.entries(value)) add(`${key}.${k}`, v);
    } else rows.push([key, value]);
  };
  for (const [k, v] of entries) add(k, v);
  return h("div", { class: "kv-grid" }, rows.map(([k, v]) => h("div", { class: "kv-item", "data-key": k }, h("span", { class: "kv-key" }, k), h("span", { class: "kv-value mono" }, formatValue(v)))));
}

function formatValue(v: unknown): string {
  if (typeof v === "string") return v;
  // Measured values (wall_s, sps) carry float noise; six significant digits keep config values exact.
  if (typeof v === "number" && !Number.isInteger(v)) return String(Number(v.toPrecision(6)));
  return JSON.stringify(v) ?? String(v);
}

/** A segmented control; calls `onPick` with the chosen value. */
export function segmented<T extends string>(options: [T, string][], current: T, onPick: (value: T) => void, name: string): HTMLElement {
  const group = h("div", { class: "segmented", role: "group", "aria-label": name, "data-control": name });
  for (const [value, label] of options) {
    const pick = () => {
      group.querySelectorAll("button").forEach((b) => b.classList.toggle("on", b.dataset.value === value));
      onPick(value);
    };
    group.append(h("button", { type: "button", class: value === current ? "on" : "", "data-value": value, onclick: pick }, label));
  }
  return group;
}
