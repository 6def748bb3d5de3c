// Preact and htm bound once: every page writes its markup with `html`, which puts text in as text, never as markup.
import { h, render, Fragment } from "../vendor/preact/preact.mjs";
import htm from "../vendor/htm/htm.module.js";

export { useCallback, useEffect, useMemo, useRef, useState } from "../vendor/preact/hooks.mjs";
export const html = htm.bind(h);
export { render, Fragment };
