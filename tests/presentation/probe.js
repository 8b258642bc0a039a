// Measures an HTML report as a reader sees it in the browser (tests/presentation/browser.py):
// what overflows, what overlaps, which words break, which tables neither fit nor scroll, and
// the contrast of every text against what is behind it. Returns plain data; the tests judge it.
() => {
  const LONGEST_ORDINARY_WORD = 25;
  const view = document.documentElement.clientWidth;
  const styles = new Map();
  const getComputedStyle = (el) => {
    if (!styles.has(el)) styles.set(el, window.getComputedStyle(el));
    return styles.get(el);
  };

  const describe = (el) => {
    const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "";
    return el.tagName.toLowerCase() + cls + " «" + (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 50) + "»";
  };
  const visible = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || s.visibility === "collapse") return false;
    }
    return el.getClientRects().length > 0;
  };
  const ownText = (el) => [...el.childNodes].filter((n) => n.nodeType === 3 && n.data.trim());
  const inSvg = (el) => el.closest("svg") !== null;

  // every visible element with text of its own
  const texts = [...document.body.querySelectorAll("*")].filter((el) => ownText(el).length && visible(el));

  // 1. the document and each text's box
  const overflowing = [];
  const cells = [...document.body.querySelectorAll("td, th")].filter((el) => !ownText(el).length && visible(el));
  for (const el of texts.concat(cells)) {
    if (inSvg(el)) continue;
    const s = getComputedStyle(el);
    if (s.display.startsWith("inline") && s.display !== "inline-block" && s.display !== "inline-flex") continue;
    if (s.overflowX === "auto" || s.overflowX === "scroll") continue;
    if (el.scrollWidth > el.clientWidth + 1) {
      overflowing.push({ what: describe(el), scroll: el.scrollWidth, client: el.clientWidth });
    }
  }

  // 2. words broken inside: each ordinary word's rectangles lie on one line
  const broken = [];
  for (const el of texts) {
    if (inSvg(el)) continue;
    for (const node of ownText(el)) {
      const re = /[^\s\-–—\/]+[\-–—\/]*/g;
      let m;
      while ((m = re.exec(node.data))) {
        const word = m[0].replace(/[\-–—\/]+$/, "");
        if (word.length < 2 || word.length > LONGEST_ORDINARY_WORD) continue;
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + word.length);
        const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
        if (rects.length < 2) continue;
        const tops = rects.map((r) => r.top + r.height / 2);
        if (Math.max(...tops) - Math.min(...tops) > rects[0].height / 2) {
          broken.push({ word, what: describe(el) });
        }
      }
    }
  }

  // 3. text over text, or over a bar, chart or picture that is not its own
  const boxes = [];
  for (const el of texts) {
    if (inSvg(el)) continue;
    for (const node of ownText(el)) {
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const r of range.getClientRects()) {
        if (r.width > 0 && r.height > 0) boxes.push({ el, r, text: true, node });
      }
    }
  }
  for (const el of document.body.querySelectorAll(".bar, svg.chart, svg.spark, img, .swatch")) {
    if (visible(el)) boxes.push({ el, r: el.getBoundingClientRect(), text: false });
  }
  const overlaps = [];
  const amounts = [];
  const SLACK = 2; // line boxes of adjacent lines may touch by a pixel or two
  boxes.sort((p, q) => p.r.top - q.r.top);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length && boxes[j].r.top < boxes[i].r.bottom; j++) {
      const a = boxes[i], b = boxes[j];
      if (!a.text && !b.text) continue;
      if (a.node && a.node === b.node) continue; // the lines of one text
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (w > SLACK && h > SLACK) {
        overlaps.push({ a: describe(a.el), b: describe(b.el), w: Math.round(w), h: Math.round(h) });
      }
      // two amounts side by side on one line with no room between them: "£359,800£420,000"
      if (a.text && b.text && h > a.r.height / 2 && /\d/.test(a.node.data) && /\d/.test(b.node.data)) {
        const [left, right] = a.r.left <= b.r.left ? [a, b] : [b, a];
        const gap = right.r.left - left.r.right;
        if (gap > -SLACK && gap < 3 && /\d\s*$/.test(left.node.data) && /^\s*\D?\s*\d|^\s*[£$€]|^\s*[A-Z]{3}\s/.test(right.node.data)) {
          amounts.push({ a: left.node.data.trim(), b: right.node.data.trim(), gap: Math.round(gap) });
        }
      }
    }
  }

  // 4. tables: they fit the page, or scroll inside a wrapper that does, or are cards
  const tables = [];
  for (const t of document.querySelectorAll("table")) {
    if (!visible(t)) continue;
    const r = t.getBoundingClientRect();
    const s = getComputedStyle(t);
    let wrapper = null;
    for (let e = t.parentElement; e && e !== document.body; e = e.parentElement) {
      const o = getComputedStyle(e).overflowX;
      if (o === "auto" || o === "scroll") { wrapper = e; break; }
    }
    const fits = r.left >= -1 && r.right <= view + 1;
    const wrapped = wrapper !== null && wrapper.getBoundingClientRect().right <= view + 1;
    tables.push({ what: describe(t).slice(0, 80), fits, wrapped, cards: s.display !== "table" });
  }

  // 5. status pills: whole, inside their table cell and the page, or inside what a table's
  // wrapper scrolls to
  const pills = [];
  for (const c of document.querySelectorAll(".chip")) {
    if (!visible(c)) continue;
    const r = c.getBoundingClientRect();
    let [left, right] = [0, view];
    for (let e = c.parentElement; e && e !== document.body; e = e.parentElement) {
      const o = getComputedStyle(e).overflowX;
      if (o === "auto" || o === "scroll") {
        const w = e.getBoundingClientRect();
        [left, right] = [w.left - e.scrollLeft, w.left - e.scrollLeft + e.scrollWidth];
        break;
      }
    }
    const cell = c.closest("td, th");
    if (cell) {
      const box = cell.getBoundingClientRect();
      [left, right] = [Math.max(left, box.left), Math.min(right, box.right)];
    }
    if (r.left < left - 1 || r.right > right + 1 || c.scrollWidth > c.clientWidth + 1) {
      pills.push({ what: describe(c), left: Math.round(r.left), right: Math.round(r.right) });
    }
  }

  // 6. contrast of every text against the colours behind it (alpha and opacity blended)
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const canvas = parse(getComputedStyle(document.documentElement).backgroundColor);
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) {
        layers.push(c);
        if (c[3] >= 1) break;
      }
    }
    // the canvas: the root's background, else the body's, else the browser's (white, or dark
    // under a dark colour scheme the page declares)
    let bg = canvas && canvas[3] > 0 ? canvas : (matchMedia("(prefers-color-scheme: dark)").matches &&
      getComputedStyle(document.documentElement).colorScheme.includes("dark") ? [18, 18, 18, 1] : [255, 255, 255, 1]);
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const opacity = (el) => {
    let o = 1;
    for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity);
    return o;
  };
  const contrast = [];
  for (const el of texts) {
    const s = getComputedStyle(el);
    const svg = inSvg(el);
    let fg = parse(svg ? s.fill : s.color);
    if (!fg) continue;
    const bg = background(svg ? el.closest("svg") : el);
    fg = over([fg[0], fg[1], fg[2], fg[3] * opacity(el)], bg);
    const size = parseFloat(s.fontSize) * (svg ? el.closest("svg").getBoundingClientRect().width / (el.closest("svg").viewBox.baseVal.width || 1) : 1);
    const large = size >= 24 || (size >= 18.66 && Number(s.fontWeight) >= 700);
    const r = ratio(fg, bg);
    contrast.push({ what: describe(el), ratio: Math.round(r * 100) / 100, need: large ? 3 : 4.5,
                    fg: fg.slice(0, 3).map(Math.round), bg: bg.slice(0, 3).map(Math.round) });
  }
  const page = background(document.body);

  return {
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: view,
    overflowing, broken, overlaps, amounts, tables, pills,
    contrast: contrast.filter((c) => c.ratio < c.need),
    texts: contrast.length,
    pageLuminance: lum(page),
  };
}
