// Polls a JSON status URL and reloads the page when the work it waits for is done. The push events
// (answer.scored, report.ready) may be lost by the channel layer, so pages that wait poll too.
const box = document.querySelector("[data-poll-url]");
if (box) {
  const url = box.dataset.pollUrl;
  const done = new Set((box.dataset.pollDone || "").split(" ").filter(Boolean));
  let delay = 1500;
  const tick = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const state = await response.json();
        if (done.has(state.status)) { window.location.reload(); return; }
      }
    } catch (_) { /* offline for a moment: try again later */ }
    delay = Math.min(delay * 1.3, 10000);
    setTimeout(tick, delay);
  };
  setTimeout(tick, delay);
}
