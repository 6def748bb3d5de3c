// A value with the words of the search marked where they occur: pieces of text and <mark>, never markup from data.
import { html } from "../view.js";

export function Marked({ value, q }) {
  const lower = value.toLowerCase();
  const spans = [];
  for (const word of q.toLowerCase().split(/\s+/).filter(Boolean)) {
    for (let at = lower.indexOf(word); at >= 0; at = lower.indexOf(word, at + word.length)) spans.push([at, at + word.length]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const pieces = [];
  let from = 0;
  for (const [start, end] of spans) {
    if (end <= from) continue;
    const begin = Math.max(start, from);
    if (begin > from) pieces.push(value.slice(from, begin));
    pieces.push(html`<mark>${value.slice(begin, end)}</mark>`);
    from = end;
  }
  pieces.push(value.slice(from));
  return pieces;
}
