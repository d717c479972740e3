// Pan and zoom for a laid-out chart. By default it "follows": the chart is shown at a scale
// where its labels stay legible, centred on the active state, and pans when the active state
// moves out of the middle of the view. "Fit" shows the whole chart; wheel and drag take over.

/** The smallest scale at which 11 px labels stay legible when following. */
const READABLE = 0.85;

export function createCamera(svg, layout, { fitButton, followButton }) {
  let box = { x: 0, y: 0, w: layout.width, h: layout.height };
  let mode = 'follow';
  let lastActive = null;

  const apply = () => {
    svg.setAttribute('viewBox', `${box.x} ${box.y} ${box.w} ${box.h}`);
    svg.dataset.camera = mode;
    followButton.setAttribute('aria-pressed', String(mode === 'follow'));
    fitButton.setAttribute('aria-pressed', String(mode === 'fit'));
  };
  const panel = () => svg.getBoundingClientRect();

  function fit() {
    mode = 'fit';
    box = { x: 0, y: 0, w: layout.width, h: layout.height };
    apply();
  }

  /** Centres the view on the deepest active states, at a legible scale, when they leave it. */
  function follow(paths, force = false) {
    lastActive = paths;
    if (mode !== 'follow') return;
    const rect = panel();
    if (!rect.width || !rect.height) return;
    const fitScale = Math.min(rect.width / layout.width, rect.height / layout.height);
    if (fitScale >= READABLE) {
      box = { x: 0, y: 0, w: layout.width, h: layout.height };
      apply();
      return;
    }
    const leaves = layout.nodes.filter(
      (n) => paths.has(n.path) && !n.state.children.some((c) => paths.has(c.path)),
    );
    if (leaves.length === 0) return;
    const cx = leaves.reduce((sum, n) => sum + n.x + n.w / 2, 0) / leaves.length;
    const cy = leaves.reduce((sum, n) => sum + n.y + n.h / 2, 0) / leaves.length;
    const w = rect.width / READABLE;
    const h = rect.height / READABLE;
    const inside =
      Math.abs(cx - (box.x + box.w / 2)) < box.w * 0.3 &&
      Math.abs(cy - (box.y + box.h / 2)) < box.h * 0.3 &&
      Math.abs(box.w - w) < 1;
    if (inside && !force) return;
    const clamp = (v, size, total) => Math.max(-20, Math.min(v, total - size + 20));
    box = { x: clamp(cx - w / 2, w, layout.width), y: clamp(cy - h / 2, h, layout.height), w, h };
    apply();
  }

  svg.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      mode = 'free';
      const rect = panel();
      const scale = event.deltaY > 0 ? 1.15 : 1 / 1.15;
      const px = box.x + ((event.clientX - rect.left) / rect.width) * box.w;
      const py = box.y + ((event.clientY - rect.top) / rect.height) * box.h;
      box = {
        x: px - (px - box.x) * scale,
        y: py - (py - box.y) * scale,
        w: box.w * scale,
        h: box.h * scale,
      };
      apply();
    },
    { passive: false },
  );
  let drag = null;
  svg.addEventListener('pointerdown', (event) => {
    drag = { x: event.clientX, y: event.clientY, box };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const moved = Math.abs(event.clientX - drag.x) + Math.abs(event.clientY - drag.y);
    if (moved < 3) return;
    mode = 'free';
    const rect = panel();
    const k = Math.max(box.w / rect.width, box.h / rect.height);
    box = {
      ...drag.box,
      x: drag.box.x - (event.clientX - drag.x) * k,
      y: drag.box.y - (event.clientY - drag.y) * k,
    };
    apply();
  });
  svg.addEventListener('pointerup', () => {
    drag = null;
  });
  fitButton.onclick = fit;
  followButton.onclick = () => {
    mode = 'follow';
    if (lastActive) follow(lastActive, true);
  };
  apply();
  return { follow, fit };
}
