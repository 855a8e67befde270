// Helpers shared by the hailuo_nb widgets' front ends. Plain browser ESM, no build step.
//
// Pure functions plus a DOM element builder; nothing here knows a widget's traits. A
// widget imports what it uses with `import { h } from "./common.js";` and Python joins
// the files into the one module anywidget loads (hailuo_nb/notebook/widgets/esm.py).
// Every piece of user data goes into the page with textContent, never as HTML.

/** Statuses after which a generation no longer changes (docs/design.md §4). */
export const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * Make an element.
 * @param {string} tag element name
 * @param {string} [className] class attribute ("" for none)
 * @param {string} [text] text content (set as text, never parsed as HTML)
 * @returns {HTMLElement}
 */
export function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A `type="button"` button (a plain <button> would submit an enclosing form).
 * @param {string} className
 * @param {string} text
 * @param {string} [title] tooltip
 * @returns {HTMLButtonElement}
 */
export function button(className, text, title) {
  const node = /** @type {HTMLButtonElement} */ (h("button", className, text));
  node.type = "button";
  if (title) node.title = title;
  return node;
}

/**
 * A paid action's confirmation: a label, a detail line, Confirm and Cancel; only Confirm's
 * callback sends anything. Class names are scoped by ``prefix`` (``${prefix}__confirm``,
 * ``__confirm-label``, ``-detail``, ``-buttons``, ``-yes``, ``-no``).
 * @param {string} prefix e.g. "hailuo-form"
 * @param {string} ariaLabel what is being confirmed ("Finalize this clip?")
 * @param {string} yesTitle Confirm's tooltip
 * @param {() => void} onYes
 * @param {() => void} onNo
 * @returns {{el: HTMLElement, show: (plan: ({label: string, detail: string} | null)) => void}}
 */
export function confirmPanel(prefix, ariaLabel, yesTitle, onYes, onNo) {
  const el = h("div", `${prefix}__confirm`);
  el.setAttribute("role", "group");
  el.setAttribute("aria-label", ariaLabel);
  const label = h("div", `${prefix}__confirm-label`);
  const detail = h("div", `${prefix}__confirm-detail`);
  const yes = button(`${prefix}__confirm-yes`, "Confirm", yesTitle);
  const no = button(`${prefix}__confirm-no`, "Cancel");
  const buttons = h("div", `${prefix}__confirm-buttons`);
  buttons.append(yes, no);
  el.append(label, detail, buttons);
  yes.addEventListener("click", () => { yes.disabled = true; onYes(); });
  no.addEventListener("click", () => onNo());
  return {
    el,
    show(plan) {
      el.hidden = !plan;
      label.textContent = plan ? plan.label : "";
      detail.textContent = plan ? plan.detail : "";
      if (!plan) yes.disabled = false;
    },
  };
}

/**
 * Seconds as m:ss ("0:08", "12:30"); negative values count as 0.
 * @param {number} seconds
 * @returns {string}
 */
export function formatSeconds(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * A byte count for people ("740 KB", "3.2 MB"); "" for nothing or nonsense.
 * @param {number} n
 * @returns {string}
 */
export function formatBytes(n) {
  if (!(n > 0)) return "";
  if (n < 1024 * 1024) return `${Math.max(1, Math.round(n / 1024))} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A price estimate as shown beside a request: "$0.49 est.", or `missing` without one.
 * The kernel formats the amount and currency ("$0.49", "¥2.63"); this only labels it.
 * @param {string} cost e.g. "$0.49" or ""
 * @param {string} [missing] what to say when there is no published price
 * @returns {string}
 */
export function costLabel(cost, missing = "price unknown") {
  return cost ? `${cost} est.` : missing;
}

/**
 * A per-view id maker, so several displays of one widget keep unique label targets.
 * @param {string} prefix e.g. "hailuo-form-3"
 * @returns {(name: string) => string}
 */
export function idMaker(prefix) {
  return (name) => `${prefix}-${name}`;
}

/**
 * Copy text to the clipboard; falls back to execCommand outside secure contexts.
 * @param {string} text
 * @returns {Promise<boolean>} whether it worked
 */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = /** @type {HTMLTextAreaElement} */ (h("textarea"));
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

let pageConfigCache;
/**
 * JupyterLab's / Notebook 7's page config (baseUrl, serverRoot, ...), or null elsewhere.
 * @returns {{baseUrl?: string, serverRoot?: string} | null}
 */
export function pageConfig() {
  if (pageConfigCache === undefined) {
    const node = typeof document === "undefined" ? null : document.getElementById("jupyter-config-data");
    try {
      pageConfigCache = node ? JSON.parse(node.textContent) : null;
    } catch {
      pageConfigCache = null;
    }
  }
  return pageConfigCache;
}

/**
 * The Jupyter server's files/ URL of a path relative to the server root, or "".
 * Each path segment is URL-encoded; a path that climbs out ("..") gives "".
 * @param {string} rel e.g. "hailuo_videos/abc.mp4"
 * @param {{baseUrl?: string} | null} [config] the page config
 * @param {string} [origin] the page URL the result is resolved against
 * @returns {string}
 */
export function filesUrl(rel, config = pageConfig(), origin = location.href) {
  if (!rel || !config || typeof config.baseUrl !== "string") return "";
  const parts = rel.split("/");
  if (parts.some((p) => p === ".." || p === "") || rel.startsWith("/")) return "";
  const base = config.baseUrl.endsWith("/") ? config.baseUrl : config.baseUrl + "/";
  try {
    return new URL(base + "files/" + parts.map(encodeURIComponent).join("/"), origin).href;
  } catch {
    return ""; // no usable page URL (about:blank, a sandboxed frame)
  }
}

/**
 * Stop an event from reaching JupyterLab (which would open a dropped file, run a cell...).
 * @param {Event} event
 */
export function stopEvent(event) {
  event.preventDefault();
  event.stopPropagation();
}

/**
 * Import an ES module from source text (a `blob:` module), once per distinct source.
 * @param {string} source
 * @returns {Promise<any>} the module namespace
 */
export function importSource(source) {
  if (!importSource.cache.has(source)) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    importSource.cache.set(source, import(url));
  }
  return importSource.cache.get(source);
}
importSource.cache = new Map();
