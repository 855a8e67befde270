// The storyboard widget: a tile per shot (status, then its clip), then the film and the sheet.
import { h } from "./common.js";
import { clipFetcher } from "./clips.js";

function renderTile(tile, shot, fetchClip) {
  tile.dataset.status = shot.status;
  tile.querySelector(".hailuo-board__status").textContent =
    shot.status + (shot.reused ? " · reused" : "") + (shot.error ? ` · ${shot.error}` : "");
  if (shot.ready && !tile.querySelector("video")) {
    const video = h("video", "hailuo-board__clip");
    video.muted = true;
    video.loop = true;
    video.playsInline = true;
    tile.querySelector(".hailuo-board__media").append(video);
    fetchClip(`shot-${shot.index}`).then((url) => {
      if (url) video.src = url;
    });
  }
}

function makeTile(shot) {
  const tile = h("div", "hailuo-board__tile");
  tile.dataset.index = String(shot.index);
  const head = h("div", "hailuo-board__head", `${shot.index}${shot.continues ? " ↳" : ""}`);
  head.title = shot.continues ? "continues from the previous shot's last frame" : "free shot";
  tile.append(head, h("div", "hailuo-board__media"), h("div", "hailuo-board__prompt", shot.prompt),
    h("div", "hailuo-board__status"));
  return tile;
}

export default {
  render({ model, el }) {
    const fetchClip = clipFetcher(model);
    const root = h("div", "hailuo-board");
    const title = h("div", "hailuo-board__title");
    const tiles = h("div", "hailuo-board__tiles");
    const film = h("div", "hailuo-board__film");
    root.append(title, tiles, film);
    el.append(root);
    let shownFilm = "";

    const update = () => {
      const shots = model.get("shots") || [];
      root.dataset.status = model.get("status");
      const cost = model.get("cost");
      title.textContent = `${model.get("name")} · ${shots.length} shots · ${model.get("status")}` +
        (cost ? ` · to pay ${cost}` : "") + (model.get("error") ? ` · ${model.get("error")}` : "");
      for (const shot of shots) {
        let tile = tiles.querySelector(`[data-index="${shot.index}"]`);
        if (!tile) {
          tile = makeTile(shot);
          tiles.append(tile);
        }
        renderTile(tile, shot, fetchClip);
      }
      const key = model.get("film_key");
      if (key && key !== shownFilm) {
        shownFilm = key;
        film.replaceChildren();
        const video = h("video", "hailuo-board__movie");
        video.controls = true;
        video.playsInline = true;
        const seconds = model.get("film_seconds");
        const caption = h("div", "hailuo-board__caption",
          `film · ${seconds ? seconds.toFixed(1) : "?"} s${model.get("film_audio") ? " · with sound" : ""}`);
        const sheet = h("img", "hailuo-board__sheet");
        sheet.alt = "contact sheet";
        film.append(video, caption, sheet);
        fetchClip(key).then((url) => {
          if (url) {
            video.src = url;
            video.play().catch(() => {});
          }
        });
        fetchClip("sheet").then((url) => {
          if (url) sheet.src = url;
        });
      }
    };
    model.on("change", update);
    update();
  },
};
