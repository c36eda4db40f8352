// Tiny DOM builder: text always goes in as text nodes, never as HTML.

export type Child = Node | string | number | null | undefined | false;
type Listener = (event: Event) => void;
export type Attrs = Record<string, string | number | boolean | Listener | null | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") {
      el.addEventListener(name.replace(/^on/, "").toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

let counter = 0;

/** A page-unique id for label/aria wiring. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export interface FieldOptions {
  label: string;
  name: string;
  type?: string;
  autocomplete?: string;
  hint?: string;
  required?: boolean;
  value?: string;
  extra?: Attrs;
}

export interface Field {
  wrap: HTMLDivElement;
  input: HTMLInputElement;
}

/** A labelled input with an optional hint, wired with aria-describedby. */
export function field(opts: FieldOptions): Field {
  const id = uid(opts.name);
  const hintId = opts.hint ? `${id}-hint` : null;
  const input = h("input", {
    id,
    name: opts.name,
    type: opts.type ?? "text",
    autocomplete: opts.autocomplete,
    required: opts.required ?? true,
    "aria-describedby": hintId,
    ...opts.extra,
  });
  if (opts.value) input.value = opts.value;
  const wrap = h(
    "div",
    { class: "field" },
    h("label", { for: id }, opts.label),
    hintId ? h("p", { id: hintId, class: "hint" }, opts.hint) : null,
    input,
  );
  return { wrap, input };
}

export function button(label: string, attrs: Attrs = {}): HTMLButtonElement {
  return h("button", { type: "button", ...attrs }, label);
}

/** The page heading; focused after navigation so screen readers announce the new page. */
export function heading(text: string): HTMLHeadingElement {
  return h("h1", { id: "page-title", tabindex: -1 }, text);
}
