// The one poller of every page that waits for background work (an answer being scored, a report being built, a
// resume being processed). The push events (answer.scored, report.ready) may be lost by the channel layer, so
// pages that wait poll too.

// Polls `url` (JSON with a `status`) with a growing delay until the status is one of `done`, then calls
// `onDone(state)`; `onState(state)` sees every other answer. Returns a function that stops the polling.
export function pollStatus(url, { done, onDone, onState = () => {}, first = 1500, factor = 1.3, max = 10000 }) {
  let delay = first;
  let timer = null;
  let stopped = false;
  const tick = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok && !stopped) {
        const state = await response.json();
        if (done.includes(state.status)) { onDone(state); return; }
        onState(state);
      }
    } catch (_) { /* offline for a moment: try again later */ }
    if (stopped) return;
    delay = Math.min(delay * factor, max);
    timer = setTimeout(tick, delay);
  };
  timer = setTimeout(tick, delay);
  return () => { stopped = true; clearTimeout(timer); };
}

// A page whose waiting box carries data-poll-url reloads once the work is done (statuses in data-poll-done).
const box = document.querySelector("[data-poll-url]");
if (box) {
  pollStatus(box.dataset.pollUrl, {
    done: (box.dataset.pollDone || "").split(" ").filter(Boolean),
    onDone: () => window.location.reload(),
  });
}
