// The prompt form and its gallery (hailuo_nb.Form). Plain browser ESM, no build step.
//
// Shape (like status.js): pure exported helpers; small named builders, one per part of
// the form, each returning { el, keys, sync(state) }; one view factory, createFormView,
// that feeds plain state objects (the keys of KEYS) to the parts whose keys changed and
// draws EVERY part from the initial state; and a short anywidget adapter.
//
// Python -> browser: the synced traits. Browser -> Python: one typed custom message,
// send({ type, ... }); the browser never sets a trait itself. Controls are built from the
// model's capabilities (the `catalog` trait, see capabilities.py), not from model names.
// User data (prompts, file names, error text) goes into the page as text, never as HTML.
// Python joins common.js, form_prompt.js (the prompt's tools) and this file into one
// module (esm.py); gallery cards are drawn by status.js's createStatusView, imported
// from the `_status_esm` trait.

import {
  TERMINAL, button, confirmPanel, costLabel, filesUrl, formatBytes, h, idMaker, importSource, pageConfig, stopEvent,
} from "./common.js";
import { buildEnhance, buildMovePicker, buildPromptWarnings, capsOf } from "./form_prompt.js";

/** The synced traits the view reads; tests hold this list equal to the Python traits. */
export const KEYS = [
  "prompt", "provider", "model", "duration", "resolution", "ratio", "prompt_optimizer",
  "provider_options", "catalog", "frames", "references", "errors", "blocker", "cost",
  "cost_note", "notice", "gallery", "prompt_warnings", "camera_moves", "enhancement",
];

const CHUNK_BYTES = 1024 * 1024; // below the server's 10 MiB websocket message limit
const MAX_UPLOAD_BYTES = 4 * 20 * 1024 * 1024; // refused unread by Python (inputs.py)
const SET_DELAY_MS = 120; // typing: send the prompt at most this often
const FRAME_TITLES = { first_frame: "First frame", last_frame: "Last frame" };
/** Reference media kinds: picker title, accepted files, one item's noun. */
export const MEDIA = {
  image: { title: "Reference images", accept: "image/png,image/jpeg,image/webp", noun: "image" },
  video: { title: "Reference clips", accept: "video/mp4,video/quicktime,video/webm", noun: "clip" },
  audio: { title: "Reference audio", accept: "audio/mpeg,audio/wav,audio/mp4,audio/ogg", noun: "audio clip" },
};

let viewCount = 0;

// ------------------------------------------------------------------ pure helpers

/**
 * How to offer durations: a <select> for a set, a slider for a range.
 * @param {number[] | {min: number, max: number, step?: number} | undefined} durations
 * @returns {{kind: "select", options: number[]} | {kind: "range", min: number, max: number, step: number}}
 */
export function durationControl(durations) {
  if (Array.isArray(durations)) return { kind: "select", options: durations };
  if (durations && typeof durations === "object") {
    return { kind: "range", min: durations.min, max: durations.max, step: durations.step || 1 };
  }
  return { kind: "select", options: [] };
}

/**
 * Reference kinds a model takes, with the most of each: [["image", 9], ...].
 * @param {object} caps one model's capabilities
 * @returns {[string, number][]}
 */
export function referenceLimits(caps) {
  return Object.entries(caps.references || {}).filter(([kind, n]) => MEDIA[kind] && n > 0);
}

/**
 * Split newly chosen files by the room left: the ones to send, and how many are refused.
 * @param {File[]} files
 * @param {number} limit the most the model takes
 * @param {number} chosen how many are already chosen (or uploading)
 * @returns {{take: File[], refused: number}}
 */
export function fitToRoom(files, limit, chosen) {
  const room = Math.max(0, limit - chosen);
  return { take: files.slice(0, room), refused: Math.max(0, files.length - room) };
}

/**
 * The media kind of a file from its MIME type ("" when it is none of ours).
 * @param {{type?: string}} file
 * @returns {string}
 */
export function mediaKindOf(file) {
  const kind = String((file && file.type) || "").split("/")[0];
  return MEDIA[kind] ? kind : "";
}

/**
 * A frame's or file's detail line: "480×320 · 12 KB".
 * @param {{width?: number, height?: number, size?: number}} info
 * @returns {string}
 */
export function fileDetail(info) {
  const dims = info.width ? `${info.width}×${info.height}` : "";
  return [dims, formatBytes(info.size)].filter(Boolean).join(" · ");
}

/**
 * The message to show by a field: the prompt's only once the user has touched it.
 * @param {string} field
 * @param {Record<string, string>} errors
 * @param {Set<string>} touched
 * @returns {string}
 */
export function shownMessage(field, errors, touched) {
  const text = (errors || {})[field] || "";
  return text && (field !== "prompt" || touched.has("prompt")) ? text : "";
}

// ------------------------------------------------------------------ small DOM pieces

/** A message element for `field`, registered so the messages part fills it. */
function messageNode(ctx, field) {
  const node = h("div", "hailuo-form__msg");
  node.id = ctx.uid(`${field}-msg`);
  node.hidden = true;
  ctx.messages[field] = node;
  return node;
}

/** Replace a <select>'s options only when they differ, then select `value`. */
function fillSelect(select, options, value) {
  const wanted = options.map(([v, text]) => [String(v), text]);
  const current = [...select.options].map((o) => [o.value, o.textContent]);
  if (JSON.stringify(wanted) !== JSON.stringify(current)) {
    select.replaceChildren(...wanted.map(([v, text]) => {
      const option = h("option", "", text);
      option.value = v;
      return option;
    }));
  }
  select.value = String(value);
}

/** Send a file to the kernel: base64-free binary chunks of one upload. */
async function uploadFile(ctx, meta, file) {
  const upload = `${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const head = { ...meta, name: file.name, mime: file.type, size: file.size, upload };
  if (file.size > MAX_UPLOAD_BYTES) {
    ctx.send({ ...head, index: 0, count: 1 }); // Python refuses it unread, with a message
    return;
  }
  const data = await file.arrayBuffer();
  const count = Math.max(1, Math.ceil(data.byteLength / CHUNK_BYTES));
  for (let index = 0; index < count; index++) {
    ctx.send({ ...head, index, count }, [data.slice(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES)]);
  }
}

/** Make `zone` take dropped files (and, with `onLink`, dropped http(s) links). */
function dropZone(zone, onFiles, onLink) {
  zone.addEventListener("dragenter", (event) => { stopEvent(event); zone.classList.add("is-over"); });
  zone.addEventListener("dragover", (event) => {
    stopEvent(event); // JupyterLab would take the drop as a file to open
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
  });
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("is-over");
  });
  zone.addEventListener("drop", (event) => {
    stopEvent(event);
    zone.classList.remove("is-over");
    const dt = event.dataTransfer;
    const files = dt && dt.files ? [...dt.files] : [];
    if (files.length) return onFiles(files);
    const link = dt && (dt.getData("text/uri-list") || dt.getData("text/plain"));
    if (onLink && link && /^https?:\/\//i.test(link.trim())) onLink(link.trim().split(/\s+/)[0]);
  });
}

// ------------------------------------------------------------------ builders (one per part)

/**
 * The prompt: textarea, optimizer checkbox, character count; sends what is typed.
 * Its head has room for tools (`tools`: the move picker's and Enhance's buttons) and
 * `addPanel` puts their panels (and the prompt check's warnings) below it.
 */
function buildPrompt(ctx) {
  const box = h("div", "hailuo-form__field hailuo-form__field--prompt");
  const head = h("div", "hailuo-form__prompt-head");
  const label = h("label", "hailuo-form__label", "Prompt");
  const tools = h("div", "hailuo-form__prompt-tools");
  head.append(label, tools);
  const area = h("textarea", "hailuo-form__prompt");
  area.id = ctx.uid("prompt");
  label.htmlFor = area.id;
  area.rows = 3;
  area.placeholder = "Describe the clip, e.g. a glass marble rolls across a wooden desk";
  const hint = h("div", "hailuo-form__hint");
  hint.id = ctx.uid("prompt-hint");
  const optBox = h("span", "hailuo-form__optimizer");
  const optimizer = h("input", "hailuo-form__checkbox");
  optimizer.type = "checkbox";
  optimizer.id = ctx.uid("optimizer");
  const optLabel = h("label", "hailuo-form__check-label", "Prompt optimizer");
  optLabel.htmlFor = optimizer.id;
  optLabel.title = "Let the gateway rewrite the prompt for better results";
  optBox.append(optimizer, optLabel);
  const counter = h("span", "hailuo-form__count");
  hint.append(optBox, h("span", "hailuo-form__keys", "Ctrl+Enter (⌘+Enter) to generate"), counter);
  const message = messageNode(ctx, "prompt");
  area.setAttribute("aria-describedby", `${hint.id} ${message.id}`);
  box.append(head, area, hint, message);
  ctx.controls.prompt = area;

  // Values sent and not yet echoed back: an echo must not undo newer typing. The first
  // sync has none, so the initial prompt is always drawn (issue 15).
  const pending = [];
  let drawn; // the kernel's prompt at the last sync (undefined: draw the first)
  let timer = null;
  const countText = () => {
    const max = capsOf(ctx.state()).prompt_max || 2000;
    const n = area.value.trim().length;
    counter.textContent = `${n} / ${max}`;
    counter.classList.toggle("is-over", n > max);
  };
  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (area.value !== (pending.length ? pending[pending.length - 1] : ctx.state().prompt)) {
      pending.push(area.value);
      ctx.send({ type: "set", values: { prompt: area.value } });
    }
  };
  area.addEventListener("input", () => {
    ctx.touched.add("prompt");
    countText();
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(flush, SET_DELAY_MS);
  });
  area.addEventListener("blur", () => { flush(); ctx.refresh(["errors"]); });
  optimizer.addEventListener("change", () =>
    ctx.send({ type: "set", values: { prompt_optimizer: optimizer.checked } }));
  ctx.cleanups.push(() => { if (timer !== null) clearTimeout(timer); });

  return {
    el: box,
    keys: ["prompt", "prompt_optimizer", "model", "catalog"],
    sync(state) {
      // Drawn only when the kernel's prompt is new: a sync for another key (a model
      // change) that overtakes the echo of our typing must not put the old text back.
      const fresh = state.prompt !== drawn;
      drawn = state.prompt;
      const echo = pending.indexOf(state.prompt);
      if (echo >= 0) pending.splice(0, echo + 1); // ours (and anything older): nothing to draw
      else if (fresh && timer === null && area.value !== state.prompt) area.value = state.prompt;
      optimizer.checked = Boolean(state.prompt_optimizer);
      countText();
    },
    /** The text to submit now (cancels the pending "set": it travels with the submit). */
    take() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (area.value !== ctx.state().prompt) pending.push(area.value);
      return area.value;
    },
    /**
     * Show text the kernel made from ours (moves inserted, an enhanced prompt) with the
     * caret at `cursor`; the kernel's own echo of it then draws nothing.
     */
    replace(text, cursor) {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (text !== ctx.state().prompt) pending.push(text); // its echo is still to come
      area.value = text;
      if (cursor !== undefined) area.setSelectionRange(cursor, cursor);
      countText();
    },
    addPanel: (panel) => box.append(panel),
    focus: () => area.focus(),
    area,
    tools,
  };
}

/**
 * A labelled <select> that sends its value as field `name`.
 * @param {object} ctx
 * @param {string} name field name (trait)
 * @param {string} title label text
 * @param {(state: object) => [string, string][]} optionsOf [value, text] pairs
 * @param {string[]} keys the state keys the options depend on
 */
function buildSelect(ctx, name, title, optionsOf, keys, { lockSingle = true } = {}) {
  const box = h("div", `hailuo-form__field hailuo-form__field--${name}`);
  const label = h("label", "hailuo-form__label", title);
  const select = h("select", "hailuo-form__select");
  select.id = ctx.uid(name);
  label.htmlFor = select.id;
  const message = messageNode(ctx, name);
  select.setAttribute("aria-describedby", message.id);
  select.addEventListener("change", () => {
    ctx.touched.add(name);
    ctx.send({ type: "set", values: { [name]: select.value } });
  });
  box.append(label, select, message);
  ctx.controls[name] = select;
  return {
    el: box,
    keys: [name, ...keys],
    sync(state) {
      const options = optionsOf(state);
      fillSelect(select, options, state[name]);
      select.disabled = lockSingle && options.length <= 1;
      box.hidden = options.length === 0;
    },
  };
}

/** Duration: a <select> for a set of durations, a slider for a range (capabilities). */
function buildDuration(ctx) {
  const box = h("div", "hailuo-form__field hailuo-form__field--duration");
  const label = h("label", "hailuo-form__label", "Duration");
  const message = messageNode(ctx, "duration");
  let kind = "";
  let control = null;
  let readout = null;
  const sendValue = () => {
    ctx.touched.add("duration");
    ctx.send({ type: "set", values: { duration: control.value } });
  };
  function rebuild(spec) {
    kind = spec.kind;
    if (kind === "range") {
      control = h("input", "hailuo-form__range");
      control.type = "range";
      readout = h("output", "hailuo-form__readout");
      control.addEventListener("input", () => { readout.textContent = `${control.value} s`; });
    } else {
      control = h("select", "hailuo-form__select");
      readout = null;
    }
    control.id = ctx.uid("duration");
    control.setAttribute("aria-describedby", message.id);
    control.addEventListener("change", sendValue);
    label.htmlFor = control.id;
    box.replaceChildren(label, control, ...(readout ? [readout] : []), message);
    ctx.controls.duration = control;
  }
  return {
    el: box,
    keys: ["duration", "model", "catalog"],
    sync(state) {
      const spec = durationControl(capsOf(state).durations);
      if (spec.kind !== kind) rebuild(spec);
      if (spec.kind === "range") {
        Object.assign(control, { min: String(spec.min), max: String(spec.max), step: String(spec.step) });
        control.value = String(state.duration);
        readout.textContent = `${state.duration} s`;
        control.setAttribute("aria-valuetext", `${state.duration} seconds`);
      } else {
        fillSelect(control, spec.options.map((d) => [d, `${d} s`]), state.duration);
        control.disabled = spec.options.length <= 1;
      }
    },
  };
}

/** One frame picker: preview, choose / drop an image, or an image URL where that is the way. */
function buildFramePicker(ctx, field) {
  const box = h("div", "hailuo-form__frame");
  box.dataset.field = field;
  const title = h("div", "hailuo-form__label", FRAME_TITLES[field]);
  title.id = ctx.uid(`${field}-label`);
  const need = h("span", "hailuo-form__need");
  title.append(" ", need);
  const drop = h("div", "hailuo-form__drop");
  drop.setAttribute("role", "group");
  drop.setAttribute("aria-labelledby", title.id);
  const thumb = h("img", "hailuo-form__thumb");
  thumb.alt = "";
  const info = h("div", "hailuo-form__frame-info");
  const name = h("div", "hailuo-form__frame-name");
  const detail = h("div", "hailuo-form__frame-detail");
  const input = h("input", "hailuo-form__file");
  input.type = "file";
  input.accept = MEDIA.image.accept;
  input.hidden = true;
  input.setAttribute("aria-label", `${FRAME_TITLES[field]} image file`);
  const message = messageNode(ctx, field);
  const choose = button("hailuo-form__choose", "Choose image…");
  choose.setAttribute("aria-describedby", message.id);
  const clear = button("hailuo-form__clear", "Remove");
  clear.setAttribute("aria-label", `Remove the ${FRAME_TITLES[field].toLowerCase()}`);
  const buttons = h("div", "hailuo-form__frame-buttons");
  buttons.append(choose, clear);
  info.append(name, detail, buttons, h("div", "hailuo-form__drop-hint", "or drop an image here"));
  const url = h("input", "hailuo-form__url");
  url.type = "url";
  url.placeholder = "image URL (https://…)";
  url.setAttribute("aria-label", `${FRAME_TITLES[field]} image URL`);
  drop.append(thumb, info, input);
  box.append(title, drop, url, message);

  const upload = (file) => {
    if (!file) return;
    ctx.touched.add(field);
    ctx.uploading[field] = file.name;
    ctx.refresh(["frames"]);
    uploadFile(ctx, { type: "frame", field }, file);
  };
  const sendUrl = (link) => { ctx.touched.add(field); ctx.send({ type: "frame", field, url: link }); };
  choose.addEventListener("click", () => input.click());
  input.addEventListener("change", () => { upload(input.files && input.files[0]); input.value = ""; });
  clear.addEventListener("click", () => { ctx.touched.add(field); ctx.send({ type: "clear_frame", field }); });
  url.addEventListener("change", () => { if (url.value.trim()) sendUrl(url.value.trim()); });
  dropZone(drop, (files) => upload(files[0]), sendUrl);

  return {
    el: box,
    keys: ["frames", "model", "catalog", "provider", "provider_options"],
    sync(state) {
      const frames = capsOf(state).frames || {};
      const end = field.split("_")[0];
      box.hidden = !frames[end];
      need.textContent = end === "first" && frames.need_first ? "(required)" : "(optional)";
      const provider = (state.provider_options || []).find((p) => p.name === state.provider);
      const urlOnly = Boolean(provider && provider.image_mode === "url");
      const frame = (state.frames || {})[field];
      thumb.hidden = !(frame && frame.thumb);
      if (frame && frame.thumb && thumb.getAttribute("src") !== frame.thumb) thumb.src = frame.thumb;
      if (frame) thumb.alt = `${FRAME_TITLES[field]}: ${frame.name}`;
      const busy = ctx.uploading[field];
      name.textContent = busy ? `Uploading ${busy}…` : frame ? frame.name || "image" : "No image";
      detail.textContent = busy ? "" : frame ? fileDetail(frame)
        : urlOnly ? "this provider takes images by URL only" : "";
      clear.hidden = !frame;
      url.hidden = !urlOnly && !(frame && frame.url);
      box.dataset.state = busy ? "uploading" : frame ? "set" : "empty";
    },
  };
}

/** Reference files of one kind (images, clips, audio): count shown and enforced, drag and drop. */
function buildReferencePicker(ctx, kind) {
  const media = MEDIA[kind];
  const box = h("div", "hailuo-form__refs");
  box.dataset.kind = kind;
  const title = h("div", "hailuo-form__label", media.title);
  title.id = ctx.uid(`refs-${kind}-label`);
  const count = h("span", "hailuo-form__ref-count");
  title.append(" ", count);
  const zone = h("div", "hailuo-form__drop hailuo-form__ref-drop");
  zone.setAttribute("role", "group");
  zone.setAttribute("aria-labelledby", title.id);
  const list = h("ul", "hailuo-form__ref-list");
  const input = h("input", "hailuo-form__file");
  input.type = "file";
  input.multiple = true;
  input.accept = media.accept;
  input.hidden = true;
  input.setAttribute("aria-label", `${media.title} files`);
  const add = button("hailuo-form__ref-add", `Add ${media.noun}s…`);
  const note = h("div", "hailuo-form__ref-note");
  note.setAttribute("role", "status");
  zone.append(list, add, h("span", "hailuo-form__drop-hint", `or drop ${media.noun}s here`), input);
  box.append(title, zone, note);

  let limit = 0;
  let chosen = 0;
  function take(files) {
    const ours = files.filter((f) => mediaKindOf(f) === kind);
    const busy = ctx.uploading[`ref-${kind}`] || 0;
    const { take: sent, refused } = fitToRoom(ours, limit, chosen + busy);
    const foreign = files.length - ours.length;
    note.textContent = [
      refused ? `Up to ${limit} ${media.noun}s: ${refused} not added.` : "",
      foreign ? `${foreign} file(s) are not ${media.noun}s.` : "",
    ].filter(Boolean).join(" ");
    if (!sent.length) return;
    ctx.touched.add("references");
    ctx.uploading[`ref-${kind}`] = busy + sent.length;
    ctx.refresh(["references"]);
    for (const file of sent) uploadFile(ctx, { type: "reference", kind }, file);
  }
  add.addEventListener("click", () => input.click());
  input.addEventListener("change", () => { take([...(input.files || [])]); input.value = ""; });
  dropZone(zone, take, null);

  return {
    el: box,
    keys: ["references", "model", "catalog"],
    sync(state) {
      limit = Number((capsOf(state).references || {})[kind] || 0);
      const items = (state.references || {})[kind] || [];
      chosen = items.length;
      const busy = ctx.uploading[`ref-${kind}`] || 0;
      box.hidden = limit <= 0;
      count.textContent = `${chosen} / ${limit}` + (busy ? ` (uploading ${busy})` : "");
      add.disabled = chosen + busy >= limit;
      list.replaceChildren(...items.map((item, index) => {
        const row = h("li", "hailuo-form__ref");
        if (item.thumb) {
          const img = h("img", "hailuo-form__ref-thumb");
          img.src = item.thumb;
          img.alt = item.name;
          row.append(img);
        }
        row.append(h("span", "hailuo-form__ref-name", item.name), h("span", "hailuo-form__ref-size",
          formatBytes(item.size)));
        const remove = button("hailuo-form__ref-remove", "Remove", `Remove ${item.name}`);
        remove.addEventListener("click", () => ctx.send({ type: "remove_reference", kind, index }));
        row.append(remove);
        return row;
      }));
    },
  };
}

/** Generate button, cost estimate, why Submit is disabled, and every field's message. */
function buildSubmitRow(ctx, onSubmit) {
  const row = h("div", "hailuo-form__submit-row");
  const submit = button("hailuo-form__submit", "Generate");
  const cost = h("span", "hailuo-form__cost");
  const blocker = h("span", "hailuo-form__blocker");
  blocker.id = ctx.uid("blocker");
  blocker.setAttribute("role", "status");
  submit.setAttribute("aria-describedby", blocker.id);
  row.append(submit, cost, blocker, messageNode(ctx, "references"));
  submit.addEventListener("click", onSubmit);
  return {
    el: row,
    keys: ["errors", "blocker", "cost", "cost_note"],
    button: submit,
    sync(state) {
      for (const [field, node] of Object.entries(ctx.messages)) {
        const text = shownMessage(field, state.errors, ctx.touched);
        node.textContent = text;
        node.hidden = !text;
        const control = ctx.controls[field];
        if (control) control.setAttribute("aria-invalid", text ? "true" : "false");
      }
      blocker.textContent = state.blocker || "";
      blocker.hidden = !state.blocker;
      submit.disabled = Boolean(state.blocker);
      cost.textContent = costLabel(state.cost, "price not published");
      cost.title = state.cost_note || "";
    },
  };
}

/** The last action's outcome, with its action ("Generate anew") and Dismiss. */
function buildNotice(ctx) {
  const notice = h("div", "hailuo-form__notice");
  notice.setAttribute("role", "alert");
  const text = h("div", "hailuo-form__notice-text");
  const hint = h("div", "hailuo-form__notice-hint");
  const buttons = h("div", "hailuo-form__notice-buttons");
  const action = button("hailuo-form__notice-action", "");
  const close = button("hailuo-form__notice-close", "Dismiss");
  buttons.append(action, close);
  notice.append(text, hint, buttons);
  action.addEventListener("click", () => ctx.send({ type: "retry" }));
  close.addEventListener("click", () => ctx.send({ type: "dismiss" }));
  return {
    el: notice,
    keys: ["notice"],
    sync(state) {
      const n = state.notice || {};
      notice.hidden = !n.text;
      notice.dataset.kind = n.kind || "";
      text.textContent = n.text || "";
      hint.textContent = n.hint || "";
      hint.hidden = !n.hint;
      action.textContent = n.action || "";
      action.hidden = !n.action;
    },
  };
}

/**
 * A card's Finalize: the button (where the card's `finalize.offered` says it improves
 * the clip) asks the kernel for the ledger; the card shows it ("Finalize at 1080p: $0.49
 * (drafts so far: $0.56)") with Confirm and Cancel, and only Confirm sends anything.
 */
function buildFinalize(ctx, id) {
  const start = button("hailuo-form__finalize", "Finalize",
    "Render this clip at its model family's best quality; the cost is shown first");
  const confirm = confirmPanel("hailuo-form", "Finalize this clip?", "Send the final request (this is paid)",
    () => ctx.send({ type: "finalize_confirm", id }), () => ctx.send({ type: "finalize_cancel", id }));
  start.addEventListener("click", () => {
    start.disabled = true; // until the kernel's answer redraws the card
    ctx.send({ type: "finalize", id });
  });
  return {
    button: start,
    el: confirm.el,
    update(next) {
      const f = next.finalize || {};
      const plan = f.plan || null;
      start.hidden = !(f.offered && next.status === "succeeded");
      start.disabled = Boolean(plan);
      confirm.show(plan);
    },
  };
}

/**
 * One gallery card: the status view, the video (files/ URL, else bytes from the kernel)
 * and the card's actions.
 */
function buildCard(ctx, entry, onTweak) {
  const id = entry.generation_id;
  const card = h("article", "hailuo-form__card");
  card.setAttribute("role", "listitem");
  card.dataset.id = id;
  const statusHost = h("div", "hailuo-form__card-status");
  const view = ctx.createStatusView(statusHost, entry, { onCancel: () => ctx.send({ type: "cancel", id }) });
  const video = h("video", "hailuo-form__video");
  Object.assign(video, { controls: true, loop: true, muted: true, playsInline: true, preload: "auto" });
  video.hidden = true;
  const actions = h("div", "hailuo-form__actions");
  actions.setAttribute("role", "group");
  actions.setAttribute("aria-label", "Actions for this generation");
  const rerun = button("hailuo-form__rerun", "Re-run",
    "Generate this request again (an identical finished one is reused unless you choose to generate anew)");
  const tweak = button("hailuo-form__tweak", "Tweak", "Load these settings back into the form");
  const extend = button("hailuo-form__extend", "Use last frame", "Use this clip's last frame as the next first frame");
  const download = h("a", "hailuo-form__download", "Download");
  const remove = button("hailuo-form__remove", "Remove", "Remove this card (the file stays)");
  const finalize = buildFinalize(ctx, id);
  actions.append(rerun, tweak, extend, finalize.button, download, remove);
  card.append(statusHost, video, actions, finalize.el);
  rerun.addEventListener("click", () => ctx.send({ type: "rerun", id }));
  tweak.addEventListener("click", () => { ctx.send({ type: "tweak", id }); onTweak(); });
  extend.addEventListener("click", () => ctx.send({ type: "use_last_frame", id }));
  remove.addEventListener("click", () => ctx.send({ type: "remove", id }));

  let current = entry;
  let videoKey = "";
  let blobUrl = "";
  const askForBytes = () => { video.dataset.source = "requested"; ctx.send({ type: "video", id }); };
  video.addEventListener("error", () => { if (video.dataset.source === "files") askForBytes(); });

  function showVideo(v) {
    const url = filesUrl(v.rel, ctx.config);
    const key = `${v.name}|${v.size}|${url}`;
    if (key === videoKey) return;
    if (url) {
      videoKey = key;
      video.dataset.source = "files";
      video.src = url;
      download.href = `${url}?download=1`;
      download.download = v.name;
    } else if (ctx.rootKnown()) { // the kernel knows the root: this file is outside it
      videoKey = key;
      askForBytes();
    } // else: wait for the kernel's answer to "hello" (it may bring a relative path)
  }

  function update(next) {
    current = next;
    view.update({ ...next, video_src: "" });
    card.dataset.status = next.status;
    const v = next.video;
    if (v) showVideo(v);
    video.hidden = !v;
    video.setAttribute("aria-label", `Video: ${next.prompt || ""}`);
    download.hidden = !v;
    download.title = next.video_path || "";
    extend.disabled = !v;
    rerun.disabled = !next.frames_known;
    remove.hidden = !TERMINAL.has(next.status);
    finalize.update(next);
  }
  update(entry);
  return {
    el: card,
    update,
    refresh: () => update(current),
    gotVideo(content, buffers) {
      if (content.error || !buffers || !buffers.length) {
        video.dataset.source = "unavailable";
        return;
      }
      const b = buffers[0];
      const bytes = b instanceof ArrayBuffer ? b : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
      if (blobUrl) URL.revokeObjectURL(blobUrl);
      blobUrl = URL.createObjectURL(new Blob([bytes], { type: content.mime || "video/mp4" }));
      video.dataset.source = "blob";
      video.src = blobUrl;
      download.href = blobUrl;
      download.download = content.name || "video.mp4";
    },
    destroy() {
      view.destroy();
      if (blobUrl) URL.revokeObjectURL(blobUrl);
      card.remove();
    },
  };
}

/** The gallery: one card per generation, newest first, kept in the state's order. */
function buildGallery(ctx, onTweak) {
  const section = h("section", "hailuo-form__gallery");
  section.setAttribute("aria-label", "Generations");
  const list = h("div", "hailuo-form__cards");
  list.setAttribute("role", "list");
  const empty = h("p", "hailuo-form__empty", "Your clips will appear here, newest first.");
  section.append(h("div", "hailuo-form__gallery-title", "Generations"), empty, list);
  const cards = new Map();
  ctx.cleanups.push(() => { for (const card of cards.values()) card.destroy(); cards.clear(); });
  return {
    el: section,
    keys: ["gallery"],
    cards,
    sync(state) {
      const entries = state.gallery || [];
      const seen = new Set();
      entries.forEach((entry, index) => {
        const id = entry.generation_id;
        seen.add(id);
        let card = cards.get(id);
        if (card) card.update(entry);
        else cards.set(id, (card = buildCard(ctx, entry, onTweak)));
        if (list.children[index] !== card.el) list.insertBefore(card.el, list.children[index] || null);
      });
      for (const [id, card] of cards) {
        if (!seen.has(id)) {
          card.destroy();
          cards.delete(id);
        }
      }
      empty.hidden = entries.length > 0;
      section.dataset.cards = String(entries.length);
    },
  };
}

// ------------------------------------------------------------------ the view

/**
 * Draw the form into `el` from a plain state object (the keys of KEYS).
 * Every part is drawn from `initial`; later, `update(state)` redraws the parts whose keys
 * changed. `receive(content, buffers)` takes the kernel's custom messages.
 * @param {HTMLElement} el
 * @param {object} initial
 * @param {{send: Function, createStatusView: Function, config?: object | null}} options
 * @returns {{update(next: object): void, receive(content: object, buffers?: any[]): void,
 *   destroy(): void, keysRead(): string[]}}
 */
export function createFormView(el, initial, { send, createStatusView, config = pageConfig() }) {
  let state = { ...initial };
  let rootKnown = !(config && typeof config.serverRoot === "string");
  const parts = [];
  const ctx = {
    uid: idMaker(`hailuo-form-${++viewCount}`),
    send: (msg, buffers) => send(msg, buffers),
    createStatusView,
    config,
    state: () => state,
    rootKnown: () => rootKnown,
    touched: new Set(),
    messages: {},
    controls: {},
    uploading: {},
    cleanups: [],
    refresh: (keys) => parts.filter((p) => p.keys.some((k) => keys.includes(k))).forEach((p) => p.sync(state)),
  };

  const root = h("div", "hailuo-form");
  const fields = h("section", "hailuo-form__fields");
  fields.setAttribute("aria-label", "Video generation request");
  const prompt = buildPrompt(ctx);
  const moves = buildMovePicker(ctx, prompt);
  const enhance = buildEnhance(ctx, prompt);
  const warnings = buildPromptWarnings(ctx);
  prompt.tools.append(...moves.tools, ...enhance.tools);
  for (const panel of [warnings, moves, enhance]) prompt.addPanel(panel.el);
  prompt.area.setAttribute("aria-describedby", `${prompt.area.getAttribute("aria-describedby")} ${warnings.el.id}`);
  const selects = h("div", "hailuo-form__row");
  const provider = buildSelect(ctx, "provider", "Provider",
    (s) => (s.provider_options || []).map((p) => [p.name, p.label]), ["provider_options"], { lockSingle: false });
  const model = buildSelect(ctx, "model", "Model",
    (s) => Object.keys(s.catalog || {}).map((id) => [id, id]), ["catalog"], { lockSingle: false });
  const duration = buildDuration(ctx);
  const resolution = buildSelect(ctx, "resolution", "Resolution",
    (s) => (capsOf(s).resolutions || []).map((r) => [r, r]), ["model", "catalog"]);
  const ratio = buildSelect(ctx, "ratio", "Aspect ratio",
    (s) => (capsOf(s).ratios || []).map((r) => [r, r]), ["model", "catalog"]);
  selects.append(provider.el, model.el, duration.el, resolution.el, ratio.el);
  const frames = h("div", "hailuo-form__frames");
  const pickers = Object.keys(FRAME_TITLES).map((field) => buildFramePicker(ctx, field));
  const refs = Object.keys(MEDIA).map((kind) => buildReferencePicker(ctx, kind));
  frames.append(...pickers.map((p) => p.el), ...refs.map((p) => p.el));
  const framesShown = {
    el: frames,
    keys: ["model", "catalog"],
    sync: () => { frames.hidden = [...pickers, ...refs].every((p) => p.el.hidden); },
  };

  function submit() {
    const text = prompt.take();
    for (const f of ["prompt", "provider", "model", "duration", "resolution", "first_frame"]) ctx.touched.add(f);
    ctx.refresh(["errors"]);
    // Python decides (it validates again); the newest keystrokes travel with the message.
    send({ type: "submit", values: { prompt: text } });
  }
  const submitRow = buildSubmitRow(ctx, submit);
  const notice = buildNotice(ctx);
  const gallery = buildGallery(ctx, () => prompt.focus());
  fields.append(prompt.el, selects, frames, submitRow.el, notice.el);
  root.append(fields, gallery.el);
  el.append(root);
  // Order matters once: pickers before the row that hides them, messages last.
  parts.push(prompt, moves, enhance, warnings, provider, model, duration, resolution, ratio, ...pickers, ...refs,
    framesShown, notice, gallery, submitRow);

  root.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      stopEvent(event); // ours, not JupyterLab's "run cell"
      if (!submitRow.button.disabled || event.target === prompt.area) submit();
    }
  });

  for (const part of parts) part.sync(state); // every initial value, drawn once
  if (!rootKnown) send({ type: "hello", server_root: config.serverRoot });

  return {
    update(next) {
      const changed = KEYS.filter((k) => k in next && next[k] !== state[k]);
      const before = state;
      state = { ...state, ...next };
      const error = (s, f) => (s.errors || {})[f] || "";
      const seq = (s, f) => ((s.frames || {})[f] || {}).seq;
      for (const f of Object.keys(FRAME_TITLES)) { // a picker's upload has landed, or failed
        if (seq(before, f) !== seq(state, f) || (error(state, f) && error(state, f) !== error(before, f))) {
          delete ctx.uploading[f];
        }
      }
      const count = (s, kind) => ((s.references || {})[kind] || []).length;
      const refused = error(state, "references") && error(state, "references") !== error(before, "references");
      for (const kind of Object.keys(MEDIA)) { // each landed file is one upload fewer
        const busy = (ctx.uploading[`ref-${kind}`] || 0) - Math.max(0, count(state, kind) - count(before, kind));
        if (busy > 0 && !refused) ctx.uploading[`ref-${kind}`] = busy;
        else delete ctx.uploading[`ref-${kind}`];
      }
      if (changed.length) ctx.refresh(changed);
    },
    receive(content, buffers) {
      if (!content) return;
      if (content.type === "hello") {
        rootKnown = true;
        for (const card of gallery.cards.values()) card.refresh();
      } else if (content.type === "moves") {
        moves.receive(content);
      } else if (content.type === "video") {
        const card = gallery.cards.get(content.id);
        if (card) card.gotVideo(content, buffers);
      }
    },
    keysRead: () => [...new Set(parts.flatMap((p) => p.keys))],
    destroy() {
      for (const cleanup of ctx.cleanups) cleanup();
      root.remove();
    },
  };
}

// ------------------------------------------------------------------ anywidget adapter

export default {
  async render({ model, el }) {
    const { createStatusView } = await importSource(model.get("_status_esm"));
    const read = () => Object.fromEntries(KEYS.map((k) => [k, model.get(k)]));
    const view = createFormView(el, read(), {
      send: (msg, buffers) => model.send(msg, undefined, buffers),
      createStatusView,
    });
    const onChange = () => view.update(read());
    const onCustom = (content, buffers) => view.receive(content, buffers);
    model.on("change", onChange);
    model.on("msg:custom", onCustom);
    return () => {
      model.off("change", onChange);
      model.off("msg:custom", onCustom);
      view.destroy();
    };
  },
};
