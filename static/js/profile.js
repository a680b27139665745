// Resume processing progress on the profile page: poll each unfinished resume's status until it is done.
for (const item of document.querySelectorAll("li.resume[data-status-url]")) {
  if (!["pending", "processing"].includes(item.dataset.status)) continue;
  const bar = item.querySelector(".resume-progress");
  const badge = item.querySelector(".resume-status");
  let delay = 1000;
  const tick = async () => {
    try {
      const response = await fetch(item.dataset.statusUrl, { headers: { Accept: "application/json" },
        credentials: "same-origin" });
      if (response.ok) {
        const state = await response.json();
        if (bar) { bar.value = state.progress; bar.textContent = `${state.progress}%`; }
        if (state.status === "ready" || state.status === "failed") { window.location.reload(); return; }
        if (badge) badge.textContent = `Processing ${state.progress}%`;
      }
    } catch (_) { /* offline for a moment: try again */ }
    delay = Math.min(delay * 1.3, 8000);
    setTimeout(tick, delay);
  };
  setTimeout(tick, delay);
}
