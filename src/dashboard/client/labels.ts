/**
 * A run's name, tags and notes on its page: shown to everyone, editable when the dashboard was
 * started with --allow-edit (or --allow-delete). Every change goes through PATCH /api/runs/:id,
 * which checks it as the store does; errors are shown where the change was made.
 */
import type { RunSummary } from "../types.js";
import { api } from "./api.js";
import { h, replaceChildren } from "./dom.js";

export interface LabelContext {
  editable: boolean;
  /** the run as the server now has it */
  saved(run: RunSummary): void;
}

function errorNote(): HTMLElement {
  return h("span", { class: "edit-error", role: "alert" });
}

async function save(run: RunSummary, changes: Parameters<typeof api.updateRun>[1], error: HTMLElement, ctx: LabelContext): Promise<boolean> {
  error.textContent = "";
  try {
    ctx.saved(await api.updateRun(run.id, changes));
    return true;
  } catch (err) {
    error.textContent = (err as Error).message;
    return false;
  }
}

/** The run's name as a heading, with a Rename button that turns it into a field. */
export function nameHeading(run: RunSummary, ctx: LabelContext): HTMLElement {
  const box = h("div", { class: "row" });
  const show = () =>
    replaceChildren(box,
      h("h1", { "data-role": "run-name" }, run.name),
      ctx.editable ? h("button", { class: "btn small", type: "button", "data-action": "rename", onclick: edit }, "Rename") : null);
  function edit(): void {
    const error = errorNote();
    const input = h("input", { type: "text", class: "name-input", value: run.name, "aria-label": "run name", maxlength: 200, onkeydown: (e: Event) => {
      const key = (e as KeyboardEvent).key;
      if (key === "Enter") void submit();
      if (key === "Escape") show();
    } });
    const submit = async () => {
      if (input.value.trim() === run.name) return show();
      if (await save(run, { name: input.value }, error, ctx)) show();
    };
    replaceChildren(box, input,
      h("button", { class: "btn small primary", type: "button", "data-action": "save-name", onclick: () => void submit() }, "Save"),
      h("button", { class: "btn small", type: "button", onclick: show }, "Cancel"), error);
    input.focus();
    input.select();
  }
  show();
  return box;
}

/** A tag typed but not added yet, by run id: it survives the live page's re-renders, as notes do. */
const unsavedTags = new Map<string, string>();

/** Tag chips; editable ones have × and an input to add one (Enter). */
export function tagEditor(run: RunSummary, ctx: LabelContext): HTMLElement {
  const error = errorNote();
  const chips = run.tags.map((tag) =>
    h("span", { class: "tag", "data-tag": tag }, tag,
      ctx.editable ? h("button", { type: "button", class: "tag-remove", "aria-label": `remove tag ${tag}`, onclick: () => void save(run, { tags: run.tags.filter((t) => t !== tag) }, error, ctx) }, "×") : null));
  const input = ctx.editable
    ? h("input", { type: "text", class: "tag-input", placeholder: "+ tag", "aria-label": "add a tag", maxlength: 40, onkeydown: (e: Event) => {
        if ((e as KeyboardEvent).key !== "Enter" || !input!.value.trim()) return;
        const tag = input!.value;
        unsavedTags.delete(run.id);
        void save(run, { tags: [...run.tags, tag] }, error, ctx).then((saved) => {
          if (!saved) unsavedTags.set(run.id, tag);
        });
      } })
    : null;
  if (input) {
    input.value = unsavedTags.get(run.id) ?? "";
    input.addEventListener("input", () => unsavedTags.set(run.id, input.value));
  }
  if (!chips.length && !input) return h("span");
  return h("div", { class: "tags", "data-role": "tags" }, chips, input, error);
}

/**
 * Notes typed but not saved, by run id: the live page re-renders a run when it changes (a tag
 * added, a new checkpoint), and that must not throw away what the user is typing.
 */
const unsavedNotes = new Map<string, string>();
/** runs whose notes were saved from this page since their last edit ("saved" survives re-renders) */
const savedNotes = new Set<string>();

/** The run's notes: text for everyone, a text area with Save when editable. */
export function notesCard(run: RunSummary, ctx: LabelContext): HTMLElement | null {
  if (!ctx.editable) return run.notes ? h("div", { class: "card", "data-card": "notes" }, h("h2", null, "Notes"), h("p", { class: "notes" }, run.notes)) : null;
  const error = errorNote();
  const area = h("textarea", { class: "notes-input", rows: 4, placeholder: "What was this run for? What did you learn?", "aria-label": "notes", maxlength: 20000 });
  const draft = unsavedNotes.get(run.id);
  area.value = draft ?? run.notes;
  const status = h("span", { class: "muted", "data-role": "notes-status" }, draft !== undefined ? "not saved" : savedNotes.has(run.id) ? "saved" : "");
  const button = h("button", { class: "btn small primary", type: "button", "data-action": "save-notes", onclick: async () => {
    const text = area.value;
    // the draft goes before the save re-renders the run, and comes back if the save fails
    unsavedNotes.delete(run.id);
    savedNotes.add(run.id);
    if (!(await save(run, { notes: text }, error, ctx))) {
      savedNotes.delete(run.id);
      unsavedNotes.set(run.id, text);
      status.textContent = "not saved";
    } else status.textContent = "saved";
  } }, "Save notes");
  area.addEventListener("input", () => {
    unsavedNotes.set(run.id, area.value);
    savedNotes.delete(run.id);
    status.textContent = "not saved";
  });
  return h("div", { class: "card", "data-card": "notes" }, h("h2", null, "Notes"), area, h("div", { class: "row spaced" }, button, status, error));
}
