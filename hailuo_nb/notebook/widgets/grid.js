// The comparison grid: rows = prompts, columns = model @ provider; one control per row
// plays, pauses and scrubs every clip of the row together (their currentTime kept in step).
import { h, button, confirmPanel } from "./common.js";
import { clipFetcher } from "./clips.js";

/** Keep every video of a row at the leader's time (within `slack` seconds). */
export function syncRow(videos, time, slack = 0.15) {
  for (const v of videos) {
    if (Math.abs(v.currentTime - time) > slack) v.currentTime = time;
  }
}

function rowControl(row) {
  const box = h("div", "hailuo-grid__control");
  const play = button("hailuo-grid__play", "▶", "play / pause every clip of this row");
  const scrub = h("input", "hailuo-grid__scrub");
  scrub.type = "range";
  scrub.min = "0";
  scrub.max = "1000";
  scrub.value = "0";
  box.append(play, scrub);
  const videos = () => Array.from(row.querySelectorAll("video"));
  const longest = () => Math.max(0, ...videos().map((v) => v.duration || 0));
  play.addEventListener("click", () => {
    const all = videos();
    if (!all.length) return;
    const playing = all.some((v) => !v.paused);
    if (playing) {
      all.forEach((v) => v.pause());
      play.textContent = "▶";
    } else {
      syncRow(all, all[0].currentTime, 0);
      all.forEach((v) => v.play().catch(() => {}));
      play.textContent = "⏸";
    }
  });
  scrub.addEventListener("input", () => {
    syncRow(videos(), (Number(scrub.value) / 1000) * longest(), 0);
  });
  row.addEventListener("timeupdate", (event) => {
    const all = videos();
    if (event.target !== all[0]) return;
    const total = longest();
    if (total > 0) scrub.value = String(Math.round((all[0].currentTime / total) * 1000));
    if (!all[0].paused) syncRow(all.slice(1), all[0].currentTime);
  }, true);
  return box;
}

export default {
  render({ model, el }) {
    const fetchClip = clipFetcher(model);
    const table = h("div", "hailuo-grid");
    const confirms = new Map(); // row index -> its Finalize confirmation
    el.append(table);

    const build = () => {
      table.replaceChildren();
      confirms.clear();
      const columns = model.get("columns");
      table.style.setProperty("--hailuo-grid-columns", String(columns.length));
      const head = h("div", "hailuo-grid__row hailuo-grid__header");
      head.append(h("div", "hailuo-grid__prompt", "prompt"));
      columns.forEach((label) => head.append(h("div", "hailuo-grid__label", label)));
      table.append(head);
      model.get("prompts").forEach((prompt, r) => {
        const row = h("div", "hailuo-grid__row");
        row.dataset.row = String(r);
        const side = h("div", "hailuo-grid__prompt", prompt);
        const confirm = confirmPanel("hailuo-grid", "Finalize this pick?", "send the final request (this is paid)",
          () => model.send({ type: "finalize_confirm", row: r }), () => model.send({ type: "finalize_cancel", row: r }));
        confirm.show(null);
        confirms.set(String(r), confirm);
        side.append(rowControl(row), confirm.el, h("div", "hailuo-grid__final"));
        row.append(side);
        columns.forEach((_, c) => {
          const cell = h("div", "hailuo-grid__cell");
          cell.dataset.column = String(c);
          const pick = button("hailuo-grid__pick", "pick", "choose this clip for the row");
          pick.addEventListener("click", () => model.send({ type: "pick", row: r, column: c }));
          const fin = button("hailuo-grid__finalize", "Finalize", "render the pick at full quality");
          fin.addEventListener("click", () => model.send({ type: "finalize", row: r }));
          cell.append(h("div", "hailuo-grid__media"), h("div", "hailuo-grid__info"), pick, fin);
          row.append(cell);
        });
        table.append(row);
      });
    };

    const update = () => {
      if (table.querySelectorAll(".hailuo-grid__row").length !== model.get("prompts").length + 1) build();
      for (const s of model.get("cells")) {
        const cell = table.querySelector(`[data-row="${s.row}"] [data-column="${s.column}"]`);
        if (!cell) continue;
        cell.dataset.status = s.status;
        cell.classList.toggle("hailuo-grid__cell--picked", !!s.picked);
        const time = s.seconds !== null && s.seconds !== undefined ? ` · ${s.seconds}s` : "";
        cell.querySelector(".hailuo-grid__info").textContent =
          `${s.status}${s.reused ? " · reused" : ""}${s.cost ? ` · ${s.cost}` : ""}${time}` +
          (s.error ? ` · ${s.error}` : "");
        const media = cell.querySelector(".hailuo-grid__media");
        if (s.ready && !media.querySelector("video")) {
          const video = h("video", "hailuo-grid__clip");
          video.muted = true;
          video.playsInline = true;
          video.preload = "auto";
          media.append(video);
          fetchClip(`cell-${s.row}-${s.column}`).then((url) => {
            if (url) video.src = url;
          });
        }
      }
      const plans = model.get("plans") || {};
      table.querySelectorAll(".hailuo-grid__row[data-row]").forEach((row) => {
        confirms.get(row.dataset.row).show(plans[row.dataset.row] || null);
      });
      const finals = model.get("finals") || {};
      table.querySelectorAll(".hailuo-grid__row[data-row]").forEach((row) => {
        const f = finals[row.dataset.row];
        row.querySelector(".hailuo-grid__final").textContent = f ? `final: ${f.status}\n${f.ledger}` : "";
      });
    };
    model.on("change", update);
    update();
  },
};
