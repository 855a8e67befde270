// The prompt form and its gallery (hailuo_nb.Form). Plain browser ESM, no build step.
//
// Python -> browser: the synced traits. Browser -> Python: one typed custom message,
// model.send({ type, ... }); the browser never sets a trait itself. Every piece of user
// data (prompts, file names, error text) goes into the page with textContent, never as HTML.
//
// Gallery cards are drawn by the status widget's own createStatusView: its module
// (status.js) arrives as the `_status_esm` trait and is imported as a blob: module, since
// an anywidget module cannot import a sibling file (see form.py).

const CHUNK_BYTES = 1024 * 1024; // below the server's 10 MiB websocket message limit
const SET_DELAY_MS = 120; // typing: send the prompt at most this often
const FRAME_TITLES = { first_frame: "First frame", last_frame: "Last frame" };

const statusModules = new Map();
function loadStatusModule(source) {
  if (!statusModules.has(source)) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    statusModules.set(source, import(url));
  }
  return statusModules.get(source);
}

let viewCount = 0;

function h(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(className, text, title) {
  const node = h("button", className, text);
  node.type = "button";
  if (title) node.title = title;
  return node;
}

let pageConfigCache;
function pageConfig() {
  if (pageConfigCache === undefined) {
    const node = document.getElementById("jupyter-config-data");
    try {
      pageConfigCache = node ? JSON.parse(node.textContent) : null;
    } catch {
      pageConfigCache = null;
    }
  }
  return pageConfigCache;
}

// The Jupyter server's files/ URL of a video, from its path spellings (gallery.py), or "".
export function filesUrl(paths, config = pageConfig(), origin = location.href) {
  if (!config || typeof config.serverRoot !== "string" || typeof config.baseUrl !== "string") {
    return "";
  }
  const root = config.serverRoot.replace(/\/+$/, "");
  for (const path of paths || []) {
    if (typeof path !== "string" || !path.startsWith(root + "/")) continue;
    const rel = path.slice(root.length + 1).split("/").map(encodeURIComponent).join("/");
    const base = config.baseUrl.endsWith("/") ? config.baseUrl : config.baseUrl + "/";
    return new URL(base + "files/" + rel, origin).href;
  }
  return "";
}

function formatBytes(n) {
  if (!(n > 0)) return "";
  if (n < 1024 * 1024) return `${Math.max(1, Math.round(n / 1024))} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

async function render({ model, el }) {
  const { createStatusView } = await loadStatusModule(model.get("_status_esm"));
  const vid = ++viewCount;
  const uid = (name) => `hailuo-form-${vid}-${name}`;
  const send = (msg, buffers) => model.send(msg, undefined, buffers);
  const cleanups = [];

  const root = h("div", "hailuo-form");
  const fields = h("section", "hailuo-form__fields");
  fields.setAttribute("aria-label", "Video generation request");

  // ---------------------------------------------------------------- prompt
  const messages = {}; // field -> message element
  const touched = new Set();
  const promptBox = h("div", "hailuo-form__field hailuo-form__field--prompt");
  const promptLabel = h("label", "hailuo-form__label", "Prompt");
  const prompt = h("textarea", "hailuo-form__prompt");
  prompt.id = uid("prompt");
  promptLabel.htmlFor = prompt.id;
  prompt.rows = 3;
  prompt.placeholder = "Describe the clip, e.g. a glass marble rolls across a wooden desk";
  const promptHint = h("div", "hailuo-form__hint");
  promptHint.id = uid("prompt-hint");
  const optBox = h("span", "hailuo-form__optimizer");
  const optimizer = h("input", "hailuo-form__checkbox");
  optimizer.type = "checkbox";
  optimizer.id = uid("optimizer");
  const optLabel = h("label", "hailuo-form__check-label", "Prompt optimizer");
  optLabel.htmlFor = optimizer.id;
  optLabel.title = "Let the gateway rewrite the prompt for better results";
  optimizer.addEventListener("change", () =>
    send({ type: "set", values: { prompt_optimizer: optimizer.checked } }));
  optBox.append(optimizer, optLabel);
  const keys = h("span", "hailuo-form__keys", "Ctrl+Enter (⌘+Enter) to generate");
  const counter = h("span", "hailuo-form__count");
  promptHint.append(optBox, keys, counter);
  messages.prompt = h("div", "hailuo-form__msg");
  messages.prompt.id = uid("prompt-msg");
  prompt.setAttribute("aria-describedby", `${promptHint.id} ${messages.prompt.id}`);
  promptBox.append(promptLabel, prompt, promptHint, messages.prompt);

  // ---------------------------------------------------------------- selects
  const row = h("div", "hailuo-form__row");
  function selectField(name, title) {
    const box = h("div", `hailuo-form__field hailuo-form__field--${name}`);
    const label = h("label", "hailuo-form__label", title);
    const select = h("select", "hailuo-form__select");
    select.id = uid(name);
    label.htmlFor = select.id;
    messages[name] = h("div", "hailuo-form__msg");
    messages[name].id = uid(`${name}-msg`);
    select.setAttribute("aria-describedby", messages[name].id);
    select.addEventListener("change", () => {
      touched.add(name);
      send({ type: "set", values: { [name]: select.value } });
    });
    box.append(label, select, messages[name]);
    row.append(box);
    return select;
  }
  const providerSel = selectField("provider", "Provider");
  const modelSel = selectField("model", "Model");
  const durationSel = selectField("duration", "Duration");
  const resolutionSel = selectField("resolution", "Resolution");

  // ---------------------------------------------------------------- frame pickers
  const framesRow = h("div", "hailuo-form__frames");
  const pickers = {};
  const uploading = {};

  async function uploadFile(field, file) {
    if (!file) return;
    touched.add(field);
    uploading[field] = file.name;
    syncFrames();
    const uploadId = `${vid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const meta = { type: "frame", field, name: file.name, size: file.size, upload: uploadId };
    if (file.size > 4 * 20 * 1024 * 1024) { // refused unread by Python (MAX_UPLOAD_BYTES)
      send({ ...meta, index: 0, count: 1 });
      return;
    }
    const data = await file.arrayBuffer();
    const count = Math.max(1, Math.ceil(data.byteLength / CHUNK_BYTES));
    for (let index = 0; index < count; index++) {
      const chunk = data.slice(index * CHUNK_BYTES, (index + 1) * CHUNK_BYTES);
      send({ ...meta, index, count }, [chunk]);
    }
  }

  function framePicker(field) {
    const box = h("div", "hailuo-form__frame");
    box.dataset.field = field;
    const title = h("div", "hailuo-form__label", FRAME_TITLES[field]);
    title.id = uid(`${field}-label`);
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
    const buttons = h("div", "hailuo-form__frame-buttons");
    const input = h("input", "hailuo-form__file");
    input.type = "file";
    input.accept = "image/png,image/jpeg,image/webp";
    input.hidden = true;
    input.setAttribute("aria-label", `${FRAME_TITLES[field]} image file`);
    const choose = button("hailuo-form__choose", "Choose image…");
    choose.setAttribute("aria-describedby", uid(`${field}-msg`));
    const clear = button("hailuo-form__clear", "Remove");
    clear.setAttribute("aria-label", `Remove the ${FRAME_TITLES[field].toLowerCase()}`);
    buttons.append(choose, clear);
    const dropHint = h("div", "hailuo-form__drop-hint", "or drop an image here");
    info.append(name, detail, buttons, dropHint);
    const url = h("input", "hailuo-form__url");
    url.type = "url";
    url.placeholder = "image URL (https://…)";
    url.setAttribute("aria-label", `${FRAME_TITLES[field]} image URL`);
    drop.append(thumb, info, input);
    messages[field] = h("div", "hailuo-form__msg");
    messages[field].id = uid(`${field}-msg`);
    box.append(title, drop, url, messages[field]);

    choose.addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      uploadFile(field, input.files && input.files[0]);
      input.value = "";
    });
    clear.addEventListener("click", () => {
      touched.add(field);
      send({ type: "clear_frame", field });
    });
    url.addEventListener("change", () => {
      const value = url.value.trim();
      if (value) send({ type: "frame", field, url: value });
    });
    const stop = (event) => {
      event.preventDefault();
      event.stopPropagation(); // JupyterLab would take the drop as a file to open
    };
    drop.addEventListener("dragenter", (event) => { stop(event); drop.classList.add("is-over"); });
    drop.addEventListener("dragover", (event) => {
      stop(event);
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
    });
    drop.addEventListener("dragleave", (event) => {
      if (!drop.contains(event.relatedTarget)) drop.classList.remove("is-over");
    });
    drop.addEventListener("drop", (event) => {
      stop(event);
      drop.classList.remove("is-over");
      const dt = event.dataTransfer;
      const file = dt && dt.files && dt.files[0];
      if (file) {
        uploadFile(field, file);
        return;
      }
      const link = dt && (dt.getData("text/uri-list") || dt.getData("text/plain"));
      if (link && /^https?:\/\//i.test(link.trim())) {
        send({ type: "frame", field, url: link.trim().split(/\s+/)[0] });
      }
    });
    framesRow.append(box);
    pickers[field] = { box, need, thumb, name, detail, clear, url };
  }
  framePicker("first_frame");
  framePicker("last_frame");

  // ---------------------------------------------------------------- submit, notice
  const submitRow = h("div", "hailuo-form__submit-row");
  const submitBtn = button("hailuo-form__submit", "Generate");
  const cost = h("span", "hailuo-form__cost");
  const blocker = h("span", "hailuo-form__blocker");
  blocker.id = uid("blocker");
  blocker.setAttribute("role", "status");
  submitBtn.setAttribute("aria-describedby", blocker.id);
  submitRow.append(submitBtn, cost, blocker);

  const notice = h("div", "hailuo-form__notice");
  notice.setAttribute("role", "alert");
  const noticeText = h("div", "hailuo-form__notice-text");
  const noticeHint = h("div", "hailuo-form__notice-hint");
  const noticeButtons = h("div", "hailuo-form__notice-buttons");
  const noticeAction = button("hailuo-form__notice-action", "");
  const noticeClose = button("hailuo-form__notice-close", "Dismiss");
  noticeButtons.append(noticeAction, noticeClose);
  notice.append(noticeText, noticeHint, noticeButtons);
  noticeAction.addEventListener("click", () => send({ type: "retry" }));
  noticeClose.addEventListener("click", () => send({ type: "dismiss" }));

  fields.append(promptBox, row, framesRow, submitRow, notice);

  // ---------------------------------------------------------------- gallery
  const gallerySection = h("section", "hailuo-form__gallery");
  gallerySection.setAttribute("aria-label", "Generations");
  const galleryTitle = h("div", "hailuo-form__gallery-title", "Generations");
  const list = h("div", "hailuo-form__cards");
  list.setAttribute("role", "list");
  const empty = h("p", "hailuo-form__empty", "Your clips will appear here, newest first.");
  gallerySection.append(galleryTitle, empty, list);

  root.append(fields, gallerySection);
  el.append(root);

  // ---------------------------------------------------------------- prompt sync
  let sentPrompt = model.get("prompt");
  let promptTimer = null;
  function flushPrompt() {
    if (promptTimer !== null) {
      clearTimeout(promptTimer);
      promptTimer = null;
    }
    if (prompt.value !== sentPrompt) {
      sentPrompt = prompt.value;
      send({ type: "set", values: { prompt: prompt.value } });
    }
  }
  prompt.addEventListener("input", () => {
    touched.add("prompt");
    updateCounter();
    if (promptTimer !== null) clearTimeout(promptTimer);
    promptTimer = setTimeout(flushPrompt, SET_DELAY_MS);
  });
  prompt.addEventListener("blur", () => {
    flushPrompt();
    touched.add("prompt");
    syncMessages();
  });

  function submit() {
    if (promptTimer !== null) clearTimeout(promptTimer);
    promptTimer = null;
    sentPrompt = prompt.value;
    for (const f of ["prompt", "provider", "model", "duration", "resolution", "first_frame"]) {
      touched.add(f);
    }
    syncMessages();
    // Python decides (it validates again); the newest keystrokes travel with the message.
    send({ type: "submit", values: { prompt: prompt.value } });
  }
  submitBtn.addEventListener("click", submit);
  root.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      // Ours, not JupyterLab's "run cell".
      event.preventDefault();
      event.stopPropagation();
      if (!submitBtn.disabled || event.target === prompt) submit();
    }
  });

  function updateCounter() {
    const max = model.get("max_prompt_chars");
    const n = prompt.value.trim().length;
    counter.textContent = `${n} / ${max}`;
    counter.classList.toggle("is-over", n > max);
  }

  // ---------------------------------------------------------------- sync from traits
  function fillSelect(select, options, value, labelOf) {
    const wanted = options.map((o) => [String(o.value), labelOf(o)]);
    const current = [...select.options].map((o) => [o.value, o.textContent]);
    if (JSON.stringify(wanted) !== JSON.stringify(current)) {
      select.replaceChildren(...wanted.map(([v, text]) => {
        const option = h("option", "", text);
        option.value = v;
        return option;
      }));
    }
    select.value = String(value);
    select.disabled = options.length <= 1 && select !== providerSel && select !== modelSel;
  }

  function syncFields() {
    const value = model.get("prompt");
    if (value !== prompt.value && value !== sentPrompt) {
      if (promptTimer !== null) clearTimeout(promptTimer);
      promptTimer = null;
      prompt.value = value;
      sentPrompt = value;
    }
    updateCounter();
    fillSelect(providerSel, model.get("provider_options").map((p) => ({ ...p, value: p.name })),
      model.get("provider"), (p) => p.label);
    fillSelect(modelSel, model.get("model_options").map((m) => ({ ...m, value: m.id })),
      model.get("model"), (m) => m.id);
    fillSelect(durationSel, model.get("duration_options").map((d) => ({ value: d })),
      model.get("duration"), (d) => `${d.value} s`);
    fillSelect(resolutionSel, model.get("resolution_options").map((r) => ({ value: r })),
      model.get("resolution"), (r) => r.value);
    optimizer.checked = model.get("prompt_optimizer");
  }

  function syncFrames() {
    const shown = model.get("frame_pickers") || [];
    const frames = model.get("frames") || {};
    const provider = (model.get("provider_options") || []).find((p) => p.name === model.get("provider"));
    const urlOnly = provider && provider.image_mode === "url";
    framesRow.hidden = shown.length === 0;
    for (const [field, p] of Object.entries(pickers)) {
      p.box.hidden = !shown.includes(field);
      p.need.textContent = field === "first_frame" && model.get("first_frame_required")
        ? "(required)" : "(optional)";
      const frame = frames[field];
      p.thumb.hidden = !(frame && frame.thumb);
      if (frame && frame.thumb && p.thumb.getAttribute("src") !== frame.thumb) p.thumb.src = frame.thumb;
      if (frame) p.thumb.alt = `${FRAME_TITLES[field]}: ${frame.name}`;
      if (uploading[field]) {
        p.name.textContent = `Uploading ${uploading[field]}…`;
        p.detail.textContent = "";
      } else if (frame) {
        p.name.textContent = frame.name || "image";
        const dims = frame.width ? `${frame.width}×${frame.height}` : "";
        p.detail.textContent = [dims, formatBytes(frame.size)].filter(Boolean).join(" · ");
      } else {
        p.name.textContent = "No image";
        p.detail.textContent = urlOnly ? "this provider takes images by URL only" : "";
      }
      p.clear.hidden = !frame;
      p.url.hidden = !urlOnly && !(frame && frame.url);
      p.box.dataset.state = uploading[field] ? "uploading" : frame ? "set" : "empty";
    }
  }

  function syncMessages() {
    const errors = model.get("errors") || {};
    for (const [field, node] of Object.entries(messages)) {
      // An empty prompt is not an error worth red text before the user has written one.
      const text = errors[field] && (touched.has(field) || field !== "prompt") ? errors[field] : "";
      node.textContent = text;
      node.hidden = !text;
      const control = field === "prompt" ? prompt : root.querySelector(`#${CSS.escape(uid(field))}`);
      if (control) control.setAttribute("aria-invalid", text ? "true" : "false");
    }
    const reason = model.get("blocker");
    blocker.textContent = reason;
    blocker.hidden = !reason;
    submitBtn.disabled = Boolean(reason);
    const estimate = model.get("cost");
    cost.textContent = estimate ? `${estimate} est.` : "price not published";
    cost.title = model.get("cost_note") || "";
  }

  function syncNotice() {
    const n = model.get("notice") || {};
    notice.hidden = !n.text;
    notice.dataset.kind = n.kind || "";
    noticeText.textContent = n.text || "";
    noticeHint.textContent = n.hint || "";
    noticeHint.hidden = !n.hint;
    noticeAction.textContent = n.action || "";
    noticeAction.hidden = !n.action;
  }

  // ---------------------------------------------------------------- cards
  const cards = new Map();
  const blobUrls = new Set();

  function createCard(entry) {
    const id = entry.generation_id;
    const card = h("article", "hailuo-form__card");
    card.setAttribute("role", "listitem");
    card.dataset.id = id;
    const statusHost = h("div", "hailuo-form__card-status");
    const view = createStatusView(statusHost, entry, {
      onCancel: () => send({ type: "cancel", id }),
    });
    const video = h("video", "hailuo-form__video");
    video.controls = true;
    video.loop = true;
    video.muted = true;
    video.playsInline = true;
    video.preload = "auto";
    video.hidden = true;
    const actions = h("div", "hailuo-form__actions");
    actions.setAttribute("role", "group");
    actions.setAttribute("aria-label", "Actions for this generation");
    const rerun = button("hailuo-form__rerun", "Re-run",
      "Generate this request again (an identical finished one is reused unless you choose to generate anew)");
    const tweak = button("hailuo-form__tweak", "Tweak", "Load these settings back into the form");
    const extend = button("hailuo-form__extend", "Use last frame",
      "Use this clip's last frame as the next first frame");
    const download = h("a", "hailuo-form__download", "Download");
    const remove = button("hailuo-form__remove", "Remove", "Remove this card (the file stays)");
    actions.append(rerun, tweak, extend, download, remove);
    card.append(statusHost, video, actions);

    rerun.addEventListener("click", () => send({ type: "rerun", id }));
    tweak.addEventListener("click", () => {
      send({ type: "tweak", id });
      prompt.focus();
    });
    extend.addEventListener("click", () => send({ type: "use_last_frame", id }));
    remove.addEventListener("click", () => send({ type: "remove", id }));

    let videoKey = "";
    let blobUrl = "";
    function useBlob(buffer, name, mime) {
      const bytes = buffer instanceof ArrayBuffer
        ? buffer : buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
      if (blobUrl) URL.revokeObjectURL(blobUrl);
      blobUrl = URL.createObjectURL(new Blob([bytes], { type: mime || "video/mp4" }));
      blobUrls.add(blobUrl);
      video.dataset.source = "blob";
      video.src = blobUrl;
      download.href = blobUrl;
      download.download = name || "video.mp4";
    }
    function askForBytes() {
      video.dataset.source = "requested";
      send({ type: "video", id });
    }
    video.addEventListener("error", () => {
      if (video.dataset.source === "files") askForBytes(); // not under the server root, 404, ...
    });

    function update(next) {
      view.update({ ...next, video_src: "" });
      const status = next.status;
      card.dataset.status = status;
      const v = next.video;
      const key = v ? `${(v.paths || [])[0]}|${v.size}` : "";
      if (key !== videoKey) {
        videoKey = key;
        if (v) {
          const url = filesUrl(v.paths);
          if (url) {
            video.dataset.source = "files";
            video.src = url;
            download.href = `${url}?download=1`;
            download.download = v.name;
          } else {
            askForBytes();
          }
        }
      }
      video.hidden = !v;
      video.setAttribute("aria-label", `Video: ${next.prompt || ""}`);
      download.hidden = !v;
      download.title = next.video_path || "";
      extend.disabled = !v;
      const done = ["succeeded", "failed", "cancelled"].includes(status);
      rerun.disabled = !next.frames_known;
      tweak.disabled = false;
      remove.hidden = !done;
    }

    update(entry);
    return {
      el: card,
      update,
      gotVideo(content, buffers) {
        if (content.error || !buffers || !buffers.length) {
          video.dataset.source = "unavailable";
          return;
        }
        useBlob(buffers[0], content.name, content.mime);
      },
      destroy() {
        view.destroy();
        if (blobUrl) {
          URL.revokeObjectURL(blobUrl);
          blobUrls.delete(blobUrl);
        }
        card.remove();
      },
    };
  }

  function syncGallery() {
    const entries = model.get("gallery") || [];
    const seen = new Set();
    entries.forEach((entry, index) => {
      const id = entry.generation_id;
      seen.add(id);
      let card = cards.get(id);
      if (card) card.update(entry);
      else {
        card = createCard(entry);
        cards.set(id, card);
      }
      if (list.children[index] !== card.el) list.insertBefore(card.el, list.children[index] || null);
    });
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.destroy();
        cards.delete(id);
      }
    }
    empty.hidden = entries.length > 0;
    root.dataset.cards = String(entries.length);
  }

  function onCustom(content, buffers) {
    if (content && content.type === "video") {
      const card = cards.get(content.id);
      if (card) card.gotVideo(content, buffers);
    }
  }

  // ---------------------------------------------------------------- wiring
  const onFields = () => { syncFields(); syncFrames(); syncMessages(); };
  const frameSeq = {};
  const onFrames = () => {
    const frames = model.get("frames") || {};
    for (const f of Object.keys(pickers)) {
      const seq = frames[f] ? frames[f].seq : null;
      if (seq !== frameSeq[f]) delete uploading[f]; // this picker's upload has landed
      frameSeq[f] = seq;
    }
    syncFrames();
    syncMessages();
  };
  const onErrors = () => {
    const errors = model.get("errors") || {};
    for (const f of Object.keys(uploading)) if (errors[f]) delete uploading[f];
    syncFrames();
    syncMessages();
  };
  const subscriptions = [
    ["change:prompt change:provider change:model change:duration change:resolution change:prompt_optimizer"
      + " change:provider_options change:model_options change:duration_options change:resolution_options"
      + " change:frame_pickers change:first_frame_required", onFields],
    ["change:frames", onFrames],
    ["change:errors change:blocker change:cost change:cost_note", onErrors],
    ["change:notice", syncNotice],
    ["change:gallery", syncGallery],
    ["msg:custom", onCustom],
  ];
  for (const [event, fn] of subscriptions) {
    model.on(event, fn);
    cleanups.push(() => model.off(event, fn));
  }
  onFields();
  syncNotice();
  syncGallery();

  return () => {
    for (const cleanup of cleanups) cleanup();
    if (promptTimer !== null) clearTimeout(promptTimer);
    for (const card of cards.values()) card.destroy();
    for (const url of blobUrls) URL.revokeObjectURL(url);
    cards.clear();
    root.remove();
  };
}

export default { render };
