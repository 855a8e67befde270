// The prompt's tools in hailuo_nb.Form: the camera-move picker, Enhance, and the prompt
// check's warnings. Plain browser ESM, no build step; bundled between common.js and
// form.js (esm.py), which draws them beside and under the prompt.
//
// Each builder returns { el, keys, sync(state) } like form.js's parts, plus `tools` (the
// buttons for the prompt's head). None edits the prompt's text itself: moves are
// inserted and prompts expanded by the kernel (form_actions.py), and the answers come
// back as state or as a { type: "moves" } message.

import { button, h } from "./common.js";

/**
 * The capabilities of the chosen model ({} when the catalog does not know it).
 * @param {object} state the view state (catalog, model)
 * @returns {object}
 */
export function capsOf(state) {
  return (state.catalog || {})[state.model] || {};
}

/**
 * The camera-move picker beside the prompt (models whose capabilities say `camera_moves`).
 * A move's button sends { type: "insert_moves", moves, cursor, prompt } and Python inserts
 * it (film/camera_moves.py: the one implementation); the answer ({ type: "moves" }) brings
 * the new text and caret, or why nothing was inserted. Clicks in a row, with the caret
 * left where the last one put it, aim inside that bracket, so they combine (3 at most).
 */
export function buildMovePicker(ctx, prompt) {
  const toggle = button("hailuo-form__moves-toggle", "Camera moves",
    "Insert MiniMax camera commands such as [Pan left, Zoom in] at the cursor. MiniMax documents " +
    "them for Hailuo 02 and 2.3 only (not for H3), so the picker is offered for those models.");
  toggle.setAttribute("aria-expanded", "false");
  const panel = h("div", "hailuo-form__moves");
  panel.id = ctx.uid("moves");
  panel.hidden = true;
  panel.setAttribute("role", "group");
  panel.setAttribute("aria-label", "Camera moves");
  toggle.setAttribute("aria-controls", panel.id);
  const chips = h("div", "hailuo-form__move-list");
  const help = h("div", "hailuo-form__moves-help");
  const note = h("div", "hailuo-form__moves-note");
  note.setAttribute("role", "status");
  panel.append(chips, help, note);
  let names = [];
  let last = null; // { text, cursor } after our last insertion
  let asked = "";

  toggle.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute("aria-expanded", String(!panel.hidden));
  });
  function insert(move) {
    const text = prompt.take();
    const area = prompt.area;
    const again = last && last.text === text && area.selectionStart === last.cursor && text[last.cursor - 1] === "]";
    const cursor = again ? last.cursor - 1 : area.selectionStart;
    asked = text;
    note.textContent = "";
    ctx.send({ type: "insert_moves", moves: [move], cursor, prompt: text });
  }

  return {
    el: panel,
    tools: [toggle],
    keys: ["model", "catalog", "camera_moves"],
    sync(state) {
      const offer = state.camera_moves || {};
      const wanted = offer.names || [];
      if (JSON.stringify(wanted) !== JSON.stringify(names)) {
        names = wanted;
        chips.replaceChildren(...names.map((move) => {
          const chip = button("hailuo-form__move", move, `Insert [${move}] at the cursor`);
          chip.addEventListener("click", () => insert(move));
          return chip;
        }));
      }
      help.textContent = `Inserted at the cursor as [Move]; clicked in a row they share one bracket ` +
        `(at most ${offer.per_bracket || 3}). Inside a bracket, a move joins it.`;
      toggle.hidden = !capsOf(state).camera_moves;
      if (toggle.hidden) panel.hidden = true;
      toggle.setAttribute("aria-expanded", String(!panel.hidden));
    },
    /** The kernel's answer to "insert_moves". */
    receive(content) {
      if (content.error) {
        note.textContent = content.error;
        return;
      }
      const area = prompt.area;
      if (area.value !== asked && area.value !== content.prompt) return; // typed since: keep that
      prompt.replace(content.prompt, content.cursor);
      last = { text: content.prompt, cursor: content.cursor };
    },
  };
}

/**
 * Enhance beside the prompt (where capabilities say `enhance`): the kernel expands the
 * prompt in the background (MiniMax's H3 Context-IR); the text is shown to read, with
 * "Use it" (replaces the prompt; Undo puts it back) and "Discard". Errors show here too.
 */
export function buildEnhance(ctx, prompt) {
  const start = button("hailuo-form__enhance", "Enhance",
    "Let MiniMax expand the prompt (H3 Context-IR, billed in tokens). You read it before using it.");
  const undo = button("hailuo-form__enhance-undo", "Undo enhance", "Put back the prompt from before");
  const panel = h("div", "hailuo-form__enhanced");
  panel.setAttribute("role", "region");
  panel.setAttribute("aria-label", "Enhanced prompt");
  panel.setAttribute("aria-live", "polite");
  const status = h("div", "hailuo-form__enhanced-status");
  const text = h("div", "hailuo-form__enhanced-text");
  const error = h("div", "hailuo-form__enhanced-error");
  const buttons = h("div", "hailuo-form__enhanced-buttons");
  const use = button("hailuo-form__enhanced-use", "Use it", "Replace the prompt with this text");
  const discard = button("hailuo-form__enhanced-discard", "Discard");
  buttons.append(use, discard);
  panel.append(status, text, error, buttons);
  start.addEventListener("click", () => ctx.send({ type: "enhance", prompt: prompt.take() }));
  use.addEventListener("click", () => ctx.send({ type: "use_enhanced" }));
  discard.addEventListener("click", () => ctx.send({ type: "discard_enhanced" }));
  undo.addEventListener("click", () => ctx.send({ type: "undo_enhance" }));

  return {
    el: panel,
    tools: [start, undo],
    keys: ["enhancement", "model", "catalog"],
    sync(state) {
      const e = state.enhancement || {};
      const offered = Boolean(capsOf(state).enhance);
      start.hidden = !offered;
      start.disabled = e.status === "running";
      start.textContent = e.status === "running" ? "Enhancing…" : "Enhance";
      undo.hidden = !e.undo;
      panel.hidden = !e.status;
      panel.dataset.status = e.status || "";
      status.textContent = e.status === "running" ? "Enhancing…"
        : e.status === "ready" ? "Enhanced prompt — read it, then use it or discard it:"
        : e.status === "failed" ? "Enhance failed:" : "";
      text.textContent = e.status === "ready" ? e.text : "";
      text.hidden = e.status !== "ready";
      error.textContent = e.status === "failed" ? e.error : "";
      error.hidden = e.status !== "failed";
      use.hidden = e.status !== "ready";
    },
  };
}

/** The prompt check's warnings under the prompt (they never disable Generate). */
export function buildPromptWarnings(ctx) {
  const list = h("ul", "hailuo-form__warnings");
  list.id = ctx.uid("prompt-warnings");
  list.setAttribute("aria-label", "Prompt warnings");
  return {
    el: list,
    keys: ["prompt_warnings"],
    sync(state) {
      const warnings = state.prompt_warnings || [];
      list.replaceChildren(...warnings.map((w) => h("li", "hailuo-form__warning", w)));
      list.hidden = warnings.length === 0;
    },
  };
}
