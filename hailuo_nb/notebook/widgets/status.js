// Live status of one Hailuo generation. Plain browser ESM, no build step.
//
// `createStatusView(el, state, { onCancel })` renders a plain state object (the keys of
// KEYS, as produced by hailuo_nb.notebook.widgets.status.snapshot) into `el` and returns
// { update(state), destroy() }; the form's gallery reuses it. The default export is the
// anywidget adapter for StatusWidget. Every piece of user data (prompt, errors, ids) is
// set with textContent, never as HTML.

import { TERMINAL, copyText, formatSeconds, h } from "./common.js";

export const KEYS = [
  "generation_id", "status", "prompt", "model", "provider", "simulated", "duration",
  "resolution", "has_audio", "cost", "billed", "cost_note", "task_id", "created_ms", "submitted_ms", "finished_ms",
  "clock_ms", "expected_low_s", "expected_high_s", "error_type", "error_message", "error_hint",
  "error_detail", "video_path", "video_src", "reused", "done", "poll_ms",
];

const LABELS = {
  submitting: "Submitting",
  queued: "Queued",
  running: "Generating",
  downloading: "Downloading",
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};
const PLAYABLE = /^(data:video\/|blob:|https?:)/i;


// Progress estimate in [0, 1] and a words-only ETA from the typical duration (low, high).
export function estimate(status, elapsed, low, high) {
  if (status === "succeeded") return { fraction: 1, eta: "" };
  if (TERMINAL.has(status)) return { fraction: 0, eta: "" };
  if (status === "submitting") return { fraction: 0.02, eta: "submitting…" };
  if (!(high > 0)) return { fraction: 0, eta: "" };
  const lo = low > 0 ? low : high;
  let fraction = elapsed < high
    ? 0.9 * elapsed / high
    : 0.9 + 0.09 * (1 - Math.exp(-(elapsed - high) / high));
  if (status === "downloading") fraction = Math.max(fraction, 0.95);
  let eta;
  if (status === "downloading") eta = "almost there";
  else if (elapsed < lo) eta = `about ${etaRange(lo - elapsed, high - elapsed)} left`;
  else if (elapsed < high) eta = `up to ${formatSeconds(high - elapsed)} left`;
  else eta = "taking longer than usual";
  return { fraction: Math.min(fraction, 0.99), eta };
}

// "0:08–0:12", or one figure when both ends read the same ("0:08", never "0:08–0:08").
export function etaRange(low, high) {
  const a = formatSeconds(low);
  const b = formatSeconds(high);
  return a === b ? a : `${a}–${b}`;
}

export function createStatusView(el, initial, { onCancel } = {}) {
  const root = h("div", "hailuo-status");
  const head = h("div", "hailuo-status__head");
  const badge = h("span", "hailuo-status__badge");
  badge.setAttribute("aria-live", "polite");
  const elapsedEl = h("span", "hailuo-status__elapsed");
  elapsedEl.title = "elapsed";
  const etaEl = h("span", "hailuo-status__eta");
  const cancel = h("button", "hailuo-status__cancel", "Cancel");
  cancel.type = "button";
  head.append(badge, elapsedEl, etaEl, cancel);

  const bar = h("div", "hailuo-status__bar");
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-label", "estimated progress");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", "100");
  const fill = h("div", "hailuo-status__fill");
  bar.append(fill);

  const promptEl = h("div", "hailuo-status__prompt");
  const meta = h("div", "hailuo-status__meta");
  const providerEl = h("span", "hailuo-status__provider");
  const simEl = h("span", "hailuo-status__tag", "simulated");
  simEl.title = "offline simulator: placeholder video, nothing is charged";
  const modelEl = h("span", "hailuo-status__model");
  const specEl = h("span", "hailuo-status__spec");
  const costEl = h("span", "hailuo-status__cost");
  const taskWrap = h("span", "hailuo-status__task");
  const taskLabel = h("span", "", "task ");
  const taskEl = h("code", "hailuo-status__task-id");
  const copy = h("button", "hailuo-status__copy", "Copy");
  copy.type = "button";
  copy.title = "copy the task id";
  taskWrap.append(taskLabel, taskEl, copy);
  meta.append(providerEl, simEl, modelEl, specEl, costEl, taskWrap);

  const note = h("div", "hailuo-status__note");
  const errorBox = h("div", "hailuo-status__error");
  errorBox.setAttribute("role", "alert");
  const errorMsg = h("div", "hailuo-status__error-message");
  const errorHint = h("div", "hailuo-status__error-hint");
  const details = h("details", "hailuo-status__details");
  const summary = h("summary", "", "Details");
  const detailPre = h("pre", "hailuo-status__detail");
  details.append(summary, detailPre);
  errorBox.append(errorMsg, errorHint, details);

  const video = h("video", "hailuo-status__video");
  video.controls = true; // never muted: H3 clips have sound, and the controls can mute
  video.loop = true;
  video.playsInline = true;
  const pathEl = h("div", "hailuo-status__path");

  root.append(head, bar, promptEl, meta, note, errorBox, video, pathEl);
  el.append(root);

  let state = {};
  let skewMs = 0; // kernel clock minus browser clock
  let cancelling = false;

  function tick() {
    const status = state.status || "";
    const start = state.submitted_ms ?? state.created_ms;
    const end = TERMINAL.has(status) ? state.finished_ms : null;
    const now = Date.now() + skewMs;
    const elapsed = start == null ? 0 : ((end ?? now) - (state.created_ms ?? start)) / 1000;
    elapsedEl.textContent = start == null ? "" : formatSeconds(elapsed);
    const since = start == null ? 0 : ((end ?? now) - start) / 1000;
    const { fraction, eta } = estimate(status, since, state.expected_low_s, state.expected_high_s);
    fill.style.width = `${(fraction * 100).toFixed(1)}%`;
    bar.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
    etaEl.textContent = eta;
  }

  function update(next) {
    state = { ...state, ...next };
    if (typeof next.clock_ms === "number" && next.clock_ms > 0) skewMs = next.clock_ms - Date.now();
    const status = state.status || "submitting";
    const done = TERMINAL.has(status);
    root.dataset.status = status;
    badge.textContent = LABELS[status] || status;
    promptEl.textContent = state.prompt || "";
    promptEl.title = state.prompt || "";
    providerEl.textContent = state.provider || "";
    simEl.hidden = !state.simulated;
    modelEl.textContent = state.model || "";
    const spec = [state.duration ? `${state.duration} s` : "", state.resolution || "",
      state.has_audio ? "with sound" : ""];
    specEl.textContent = spec.filter(Boolean).join(" · ");
    costEl.textContent = (state.cost ? `${state.cost} est.` : "price unknown")
      + (state.billed ? ` · ${state.billed} billed` : "");
    costEl.title = state.cost_note || "";
    taskEl.textContent = state.task_id || "";
    taskWrap.hidden = !state.task_id;
    note.textContent = state.reused
      ? "Reused an identical earlier generation: nothing new was paid for."
      : "";
    note.hidden = !state.reused;

    const failed = Boolean(state.error_message);
    errorBox.hidden = !failed;
    errorMsg.textContent = failed ? `${state.error_type ? state.error_type + ": " : ""}${state.error_message}` : "";
    errorHint.textContent = state.error_hint || "";
    errorHint.hidden = !state.error_hint;
    detailPre.textContent = state.error_detail || "";
    details.hidden = !state.error_detail;

    cancel.hidden = done;
    cancel.disabled = done || cancelling;
    if (done) cancelling = false;
    cancel.textContent = cancelling ? "Cancelling…" : "Cancel";
    bar.hidden = done && status !== "succeeded";

    const src = status === "succeeded" && PLAYABLE.test(state.video_src || "") ? state.video_src : "";
    if (src && video.getAttribute("src") !== src) video.src = src;
    video.hidden = !src;
    pathEl.textContent = status === "succeeded" && state.video_path ? state.video_path : "";
    pathEl.hidden = !pathEl.textContent;
    tick();
    if (done && timer !== null) {
      clearInterval(timer);
      timer = null;
    } else if (!done && timer === null) {
      timer = setInterval(tick, 500);
    }
  }

  cancel.addEventListener("click", () => {
    if (!onCancel || TERMINAL.has(state.status)) return;
    cancelling = true;
    cancel.disabled = true;
    cancel.textContent = "Cancelling…";
    onCancel();
  });
  copy.addEventListener("click", async () => {
    const ok = await copyText(state.task_id || "");
    copy.textContent = ok ? "Copied" : "Copy failed";
    setTimeout(() => { copy.textContent = "Copy"; }, 1500);
  });

  let timer = null;
  update(initial);
  return {
    update,
    destroy() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      root.remove();
    },
  };
}

// Where updates sent from the kernel's worker threads never reach the page (Colab), the
// kernel sets poll_ms: the page then asks for the state on a timer, and the kernel answers
// inside that request. Polling stops once the generation is done.
export function startPolling(model) {
  let timer = null;
  const sync = () => {
    const every = model.get("poll_ms");
    const wanted = every > 0 && !model.get("done");
    if (wanted && timer === null) {
      timer = setInterval(() => model.send({ type: "poll" }), every);
    } else if (!wanted && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
  sync();
  return {
    sync,
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
    },
  };
}

export default {
  render({ model, el }) {
    const read = () => Object.fromEntries(KEYS.map((k) => [k, model.get(k)]));
    const view = createStatusView(el, read(), {
      onCancel: () => model.send({ type: "cancel" }),
    });
    const polling = startPolling(model);
    const onChange = () => {
      view.update(read());
      polling.sync();
    };
    model.on("change", onChange);
    return () => {
      model.off("change", onChange);
      polling.stop();
      view.destroy();
    };
  },
};
