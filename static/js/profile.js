// Resume processing progress on the profile page: poll each unfinished resume's status until it is done.
import { pollStatus } from "./status-poll.js";

for (const item of document.querySelectorAll("li.resume[data-status-url]")) {
  if (!["pending", "processing"].includes(item.dataset.status)) continue;
  const bar = item.querySelector(".resume-progress");
  const badge = item.querySelector(".resume-status");
  pollStatus(item.dataset.statusUrl, {
    done: ["ready", "failed"],
    first: 1000,
    max: 8000,
    onState: (state) => {
      if (bar) { bar.value = state.progress; bar.textContent = `${state.progress}%`; }
      if (badge) badge.textContent = `Processing ${state.progress}%`;
    },
    onDone: () => window.location.reload(),
  });
}
