// Clips by message: ask the kernel for a clip by key, get its bytes, make a blob: URL.
// Keeps video bytes and absolute paths out of the widgets' synced (saved) state.

/**
 * A function key -> Promise<string|null> (a blob: URL, or null when the kernel has none).
 * Each key is fetched once per view.
 * @param {any} model the anywidget model
 */
export function clipFetcher(model) {
  const waiting = new Map();
  const urls = new Map();
  model.on("msg:custom", (msg, buffers) => {
    if (!msg || msg.type !== "clip" || !waiting.has(msg.key)) return;
    const resolve = waiting.get(msg.key);
    waiting.delete(msg.key);
    if (msg.missing || !buffers || !buffers.length) {
      urls.delete(msg.key);
      resolve(null);
      return;
    }
    const data = buffers[0];
    const blob = new Blob([data.buffer ? data.buffer : data], { type: msg.mime });
    resolve(URL.createObjectURL(blob));
  });
  return (key) => {
    if (!urls.has(key)) {
      urls.set(key, new Promise((resolve) => {
        waiting.set(key, resolve);
        model.send({ type: "clip", key });
      }));
    }
    return urls.get(key);
  };
}
