// Replay of an answer (templates/sessions/_replay.html): the transcript follows playback (the word being played is
// highlighted), a click on a word plays from there, the arrow keys move through the words and Enter plays from the
// one selected, and the pitch and loudness charts carry a playhead. Word times come from the page (data-start).
const section = document.querySelector("[data-replay]");
const audio = section && section.querySelector("[data-replay-audio]");
const transcript = document.querySelector("[data-replay-transcript]");

function words() {
  return transcript ? Array.from(transcript.querySelectorAll(".w[data-start]")) : [];
}

function indexAt(list, t) {
  // The last word that started at or before t (binary search: answers run to hundreds of words).
  let lo = 0, hi = list.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (Number(list[mid].dataset.start) <= t + 0.01) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
  }
  return found;
}

function playheads() {
  const svgNS = "http://www.w3.org/2000/svg";
  return Array.from(document.querySelectorAll("svg[data-timeline]")).map((svg) => {
    const [x0, x1, duration, top, bottom] = svg.dataset.timeline.split(" ").map(Number);
    const line = document.createElementNS(svgNS, "line");
    line.setAttribute("y1", String(top));
    line.setAttribute("y2", String(bottom));
    line.setAttribute("stroke", "#b91c1c");
    line.setAttribute("stroke-width", "2");
    line.setAttribute("visibility", "hidden");
    line.classList.add("playhead");
    svg.appendChild(line);
    return { line, x0, x1, duration };
  });
}

if (audio) {
  const list = words();
  const heads = playheads();
  let current = -1;
  let selected = -1;

  const highlight = (index) => {
    if (index === current) return;
    if (current >= 0 && list[current]) list[current].classList.remove("is-current");
    current = index;
    if (current >= 0 && list[current]) list[current].classList.add("is-current");
  };
  const update = () => {
    const t = audio.currentTime;
    const index = indexAt(list, t);
    // Past a word's end (a pause) nothing is highlighted.
    highlight(index >= 0 && t <= Number(list[index].dataset.end) + 0.25 ? index : -1);
    for (const head of heads) {
      if (!(head.duration > 0)) continue;
      const x = head.x0 + (Math.min(t, head.duration) / head.duration) * (head.x1 - head.x0);
      head.line.setAttribute("x1", x.toFixed(1));
      head.line.setAttribute("x2", x.toFixed(1));
      head.line.setAttribute("visibility", t > 0 ? "visible" : "hidden");
    }
  };
  const seek = (index, play = true) => {
    const word = list[index];
    if (!word) return;
    audio.currentTime = Number(word.dataset.start);
    selected = index;
    update();
    if (play) audio.play().catch(() => {});
  };

  audio.addEventListener("timeupdate", update);
  audio.addEventListener("seeked", update);
  // timeupdate fires about four times a second; while playing, follow every frame so the highlight keeps pace.
  const follow = () => { update(); if (!audio.paused) requestAnimationFrame(follow); };
  audio.addEventListener("play", () => requestAnimationFrame(follow));

  if (transcript) {
    transcript.addEventListener("click", (event) => {
      const word = event.target.closest(".w[data-start]");
      if (word) seek(list.indexOf(word));
    });
    transcript.addEventListener("keydown", (event) => {
      if (!list.length) return;
      const from = current >= 0 ? current : Math.max(selected, 0);
      if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
        event.preventDefault();
        const to = Math.min(list.length - 1, Math.max(0, from + (event.key === "ArrowRight" ? 1 : -1)));
        seek(to, false);
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        if (audio.paused) seek(from); else audio.pause();
      }
    });
  }
  for (const button of section.querySelectorAll("[data-replay-skip]")) {
    button.addEventListener("click", () => {
      const to = audio.currentTime + Number(button.dataset.replaySkip);
      audio.currentTime = Math.max(0, Number.isFinite(audio.duration) ? Math.min(audio.duration, to) : to);
    });
  }
  const rate = section.querySelector("[data-replay-rate]");
  if (rate) rate.addEventListener("change", () => { audio.playbackRate = Number(rate.value); });
}
