// The events' page (asyncapi.html): /asyncapi.json shown topic by topic, each event with its key, headers and every
// field with its description, then the dead-letter topics and the one message they hold. Plain DOM and text nodes
// only: nothing from the document is ever read as HTML.
"use strict";

const main = document.getElementById("events");
const DEAD_LETTER = "dead-letter"; // the tag of a consumer group's dead-letter channel
const DAY_MS = 86400000;

// el("p", {class: "x"}, "text", child…): an element with its attributes and children (strings become text nodes).
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// A description's `code` spans as <code>, the rest as text.
function prose(text) {
  return String(text || "").split("`").map((part, i) => (i % 2 ? el("code", {}, part) : part));
}

// What a "$ref" inside the document points at.
function resolve(doc, schema) {
  let found = schema;
  while (found && found.$ref) {
    found = found.$ref.replace(/^#\//, "").split("/").reduce((node, key) => node[key], doc);
  }
  return found || {};
}

// The channel's dead-letter tag, or undefined for a topic of events.
function deadLetterTag(doc, channel) {
  return (channel.tags || []).map((tag) => resolve(doc, tag)).find((tag) => tag.name === DEAD_LETTER);
}

function refName(schema) {
  return schema.$ref ? schema.$ref.split("/").pop() : null;
}

// A field's type as a reader says it: "string (date-time)", "array of PhoneNumber", "Org or null"…
function typeOf(schema) {
  if (schema.$ref) return refName(schema);
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" or ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return `one of ${schema.enum.join(", ")}`;
  if (schema.type === "array") return `array of ${schema.items ? typeOf(schema.items) : "anything"}`;
  if (schema.type === "object" && schema.additionalProperties) {
    return `map of ${typeOf(schema.additionalProperties)}`;
  }
  if (schema.format) return `${schema.type} (${schema.format})`;
  return schema.type || "any";
}

// The object a field holds, if any (through null-ables, arrays and references): its fields are listed under it.
function inner(doc, schema) {
  for (const option of schema.anyOf || [schema]) {
    const target = resolve(doc, option.type === "array" && option.items ? option.items : option);
    if (target.properties) return {schema: target, many: option.type === "array"};
  }
  return null;
}

// One row per field, nested objects' fields after theirs as user.email or phone_numbers[].e164.
function rows(doc, schema, path, seen) {
  const required = new Set(schema.required || []);
  const found = [];
  for (const [name, field] of Object.entries(schema.properties || {})) {
    const described = field.description || resolve(doc, field).description || "";
    found.push(el("tr", {},
      el("td", {class: "field"}, path + name),
      el("td", {class: "type"}, typeOf(field)),
      el("td", {}, required.has(name) ? "yes" : "no"),
      el("td", {}, prose(described))));
    const nested = inner(doc, field);
    if (nested && !seen.has(nested.schema)) {
      const prefix = `${path}${name}${nested.many ? "[]" : ""}.`;
      found.push(...rows(doc, nested.schema, prefix, new Set([...seen, nested.schema])));
    }
  }
  return found;
}

function fields(doc, schema, caption) {
  // A table wider than a narrow window scrolls in its own named region, reachable by keyboard.
  return el("div", {class: "table-scroll", role: "region", "aria-label": caption, tabindex: "0"},
    el("table", {class: "fields"},
      el("caption", {class: "visually-hidden"}, caption),
      el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "Field"), el("th", {scope: "col"}, "Type"),
        el("th", {scope: "col"}, "Required"), el("th", {scope: "col"}, "Description"))),
      el("tbody", {}, rows(doc, schema, "", new Set([schema])))));
}

function message(doc, name, ref) {
  const msg = resolve(doc, ref);
  const key = msg.bindings && msg.bindings.kafka && msg.bindings.kafka.key;
  return el("article", {class: "message", id: name},
    el("h3", {}, name),
    msg.description.split("\n\n").map((paragraph) => el("p", {}, prose(paragraph))),
    key ? el("p", {}, el("strong", {}, "Key: "), prose(key.description)) : null,
    el("h4", {}, "Headers"),
    fields(doc, resolve(doc, msg.headers), `${name}: headers`),
    // An event's fields; or, for bytes kept as they came (a dead letter), what those bytes are.
    msg.payload.properties
      ? [el("h4", {}, "Fields"), fields(doc, msg.payload, `${name}: fields`)]
      : [el("h4", {}, "Value"), el("p", {}, prose(msg.payload.description))]);
}

// "1 day", "30 days": the page is in English only.
function days(ms) {
  const count = ms / DAY_MS;
  return `${count} ${count === 1 ? "day" : "days"}`;
}

function facts(channel) {
  const kafka = (channel.bindings && channel.bindings.kafka) || {};
  const config = kafka.topicConfiguration || {};
  const retention = config["retention.ms"];
  const items = [
    ["Partitions", kafka.partitions],
    ["Replicas", kafka.replicas],
    ["Cleanup", (config["cleanup.policy"] || []).join(", ")],
    ["Kept", retention === -1 ? "for ever" : days(retention)],
  ];
  return el("dl", {class: "facts"}, items.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]));
}

function topic(doc, id, channel) {
  return el("section", {class: "topic", id: `topic-${id}`, "aria-labelledby": `heading-${id}`, "data-testid": "topic"},
    el("h2", {id: `heading-${id}`}, channel.address),
    el("p", {}, prose(channel.description)),
    facts(channel),
    Object.entries(channel.messages).map(([name, ref]) => message(doc, name, ref)));
}

// Every dead-letter topic in one section: each with how Kafka keeps it, then the message they share, shown once.
function deadLetters(doc, channels) {
  const shared = Object.assign({}, ...channels.map(([, channel]) => channel.messages));
  return el("section", {class: "dead-letters", id: "dead-letters", "aria-labelledby": "heading-dead-letters"},
    el("h2", {id: "heading-dead-letters"}, "Dead-letter topics"),
    el("p", {}, prose(deadLetterTag(doc, channels[0][1]).description)),
    channels.map(([id, channel]) =>
      el("section", {class: "dead-letter", id: `topic-${id}`, "aria-labelledby": `heading-${id}`,
        "data-testid": "dead-letter-topic"},
      el("h3", {id: `heading-${id}`}, channel.address),
      el("p", {}, prose(channel.description)),
      facts(channel))),
    el("p", {}, "Every dead-letter topic holds the same message:"),
    Object.entries(shared).map(([name, ref]) => message(doc, name, ref)));
}

function links(channels, withMessages) {
  return el("ul", {}, channels.map(([id, channel]) =>
    el("li", {}, el("a", {href: `#topic-${id}`}, channel.address),
      withMessages ? [" ", el("span", {class: "muted"}, Object.keys(channel.messages).join(", "))] : null)));
}

function render(doc) {
  const channels = Object.entries(doc.channels);
  const events = channels.filter(([, channel]) => !deadLetterTag(doc, channel));
  const dead = channels.filter(([, channel]) => deadLetterTag(doc, channel));
  main.replaceChildren(
    el("p", {}, prose(doc.info.description)),
    el("nav", {class: "topics", "aria-label": "Topics"},
      el("h2", {}, "Topics"),
      links(events, true),
      dead.length ? [el("h3", {}, "Dead-letter topics"), links(dead, false)] : null),
    ...events.map(([id, channel]) => topic(doc, id, channel)),
    dead.length ? deadLetters(doc, dead) : null);
  main.removeAttribute("aria-busy");
}

fetch("/asyncapi.json")
  .then((answer) => {
    if (!answer.ok) throw new Error(`the document answered ${answer.status}`);
    return answer.json();
  })
  .then(render)
  .catch((error) => {
    main.replaceChildren(el("p", {class: "error", role: "alert"}, `The events could not be shown: ${error.message}`));
    main.removeAttribute("aria-busy");
  });
