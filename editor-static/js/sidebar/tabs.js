// Switching between the sidebar's panels (info, config nodes, debug).

export function setupSidebarTabs(root) {
  const buttons = root.querySelectorAll(".sidebar-tabs button");
  const show = (name) => {
    for (const b of buttons) b.classList.toggle("active", b.dataset.panel === name);
    for (const p of root.querySelectorAll(".sidebar-panel")) p.classList.toggle("active", p.dataset.panel === name);
  };
  for (const b of buttons) b.addEventListener("click", () => show(b.dataset.panel));
  return { show };
}
