// Element construction. Text goes in through text nodes only, never markup: host names, model
// names and messages come from pasted documents, and a string is never parsed as HTML here.

type Child = Node | string | number | null | undefined | false;

/** Attributes set with setAttribute; `false`, `null` and `undefined` leave one out. */
type Attrs = Record<string, string | number | boolean | null | undefined>;

function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

function assign(node: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    node.setAttribute(k, v === true ? "" : String(v));
  }
}

/** An HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  assign(node, attrs);
  append(node, children);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  assign(node, attrs);
  append(node, children);
  return node;
}

/** Replaces the children of `parent`. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** The element with `id`, which the page's HTML declares. */
export function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no element #${id}`);
  return node as T;
}

/** A disclosure whose content is built the first time it opens: what is on demand costs nothing
 * on a keystroke. Setting `open` (as a re-render does to keep it open) builds it too, when the
 * browser fires `toggle`. */
export function disclosure(attrs: Attrs, summary: Child[], content: () => Child[]): HTMLDetailsElement {
  const d = h("details", attrs, h("summary", {}, ...summary));
  let built = false;
  d.addEventListener("toggle", () => {
    if (d.open && !built) {
      built = true;
      append(d, content());
    }
  });
  return d;
}
