// Reordering the flow tabs by dragging one along the tab bar (pointer
// events, so it works the same with mouse, pen and touch): the tab follows
// the pointer and lands between the tabs either side of where it is let go.

const THRESHOLD = 5;

export class TabDrag {
  constructor({ host, onDrop }) {
    this.host = host;
    this.onDrop = onDrop;
  }

  /** A press on tab element `tabEl` (flow `id`): a drag once it moves. */
  start(e, tabEl, id) {
    if (e.button !== 0) return;
    const x0 = e.clientX;
    let dragging = false;
    const move = (ev) => {
      if (!dragging && Math.abs(ev.clientX - x0) < THRESHOLD) return;
      dragging = true;
      tabEl.classList.add("dragging");
      tabEl.style.transform = `translateX(${ev.clientX - x0}px)`;
    };
    const end = (ev, commit) => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      window.removeEventListener("pointercancel", cancel);
      tabEl.classList.remove("dragging");
      tabEl.style.transform = "";
      if (!dragging) return;
      swallowNextClick();
      if (commit) this.onDrop(id, this.dropIndex(ev.clientX, id));
    };
    const up = (ev) => end(ev, true);
    const cancel = (ev) => end(ev, false);
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    window.addEventListener("pointercancel", cancel);
  }

  /** Where the dragged tab lands: how many of the other tabs lie left of `x`. */
  dropIndex(x, id) {
    return [...this.host.querySelectorAll(".tab")]
      .filter((b) => b.dataset.id !== id)
      .filter((b) => {
        const r = b.getBoundingClientRect();
        return r.left + r.width / 2 < x;
      }).length;
  }
}

/** The click that ends a drag is not a click on the tab. */
function swallowNextClick() {
  const stop = (e) => {
    e.stopPropagation();
    e.preventDefault();
  };
  window.addEventListener("click", stop, { capture: true, once: true });
  setTimeout(() => window.removeEventListener("click", stop, { capture: true }), 0);
}
