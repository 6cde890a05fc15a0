/**
 * Replay: a saved policy acting in its environment, both running in this page — tsrl's own env
 * kernels, renderer and nn code (WASM SIMD when the browser has it), drawn on a canvas.
 */
import { Policy } from "../../algos/policy.js";
import { makeEnv } from "../../algos/training-env.js";
import { initBackend } from "../../nn/backend.js";
import { Random } from "../../rng/random.js";
import { GifRecorder } from "../../video/gif.js";
import type { RunDetail } from "../types.js";
import { api } from "./api.js";
import { ensureEnv } from "./env-modules.js";
import type { AppContext, Page } from "./app.js";
import { h, replaceChildren, segmented } from "./dom.js";
import { formatInt } from "./format.js";

let backend: Promise<string> | null = null;
/** Compiles the WASM kernels once per page (browsers refuse to compile them synchronously). */
function nnBackend(): Promise<string> {
  backend ??= initBackend().then((b) => (b.kind === "wasm" ? "WASM SIMD" : "plain JS"));
  return backend;
}

const SPEEDS = [0.25, 0.5, 1, 2, 4, 16];

type ReplayState = "loading" | "ready" | "playing" | "paused" | "ended";

export function replayPage(root: HTMLElement, _ctx: AppContext, id: string, params: URLSearchParams): Page {
  const checkpointParam = params.get("checkpoint");
  const checkpoint = checkpointParam === null ? undefined : Number(checkpointParam);
  const canvas = h("canvas", { width: 600, height: 400, "aria-label": "environment" });
  const title = h("div", { class: "page-head" }, h("div", null, h("h1", null, "Replay"), h("div", { class: "meta" })));
  const panel = h("div", { class: "card stack", "data-state": "loading", "data-role": "replay-panel" });
  replaceChildren(root, h("div", { class: "stack" }, h("div", { class: "card" }, title), h("div", { class: "replay" }, h("div", { class: "card" }, canvas), panel)));
  let disposed = false;
  let frameRequest = 0;

  void (async () => {
    let run: RunDetail, policy: Policy, kind: string;
    try {
      const [detail, bytes, nn] = await Promise.all([api.run(id), api.policy(id, checkpoint), nnBackend()]);
      run = detail;
      kind = nn;
      policy = new Policy(bytes, { source: checkpoint === undefined ? "the run's policy" : `checkpoint at step ${checkpoint}` });
      await ensureEnv(run, policy.envId); // a user's env: its module, recorded with the run
      makeEnv(policy.envToPlay(), "replay").close(); // an env that cannot be made is reported here, not as a blank canvas
    } catch (err) {
      const noRun = /no run with id/.test((err as Error).message);
      replaceChildren(panel, h("div", { class: "banner error" }, `Cannot replay: ${(err as Error).message}`), noRun ? h("a", { href: "#/" }, "← all runs") : h("a", { href: `#/run/${encodeURIComponent(id)}` }, "← back to the run"));
      panel.dataset.state = "error";
      return;
    }
    if (disposed) return;
    const meta = title.querySelector(".meta")!;
    const chip = (label: string, value: string) => h("span", { class: "chip" }, h("b", null, label), value);
    replaceChildren(meta,
      h("a", { class: "chip", href: `#/run/${encodeURIComponent(run.id)}` }, run.name),
      chip("env", policy.envId), chip("algo", policy.saved.algo),
      chip("from", checkpoint === undefined ? "saved policy" : `checkpoint at step ${formatInt(checkpoint)}`),
      chip("nn", kind),
    );
    startPlayer(run, policy);
  })();

  function startPlayer(run: RunDetail, policy: Policy): void {
    // the env it trained on: its id with the run's env kwargs and time limit
    const env = makeEnv<Float32Array, unknown>(policy.envToPlay(), "replay");
    const head = policy.saved.head;
    const continuous = head.kind === "gaussian";
    const action = continuous ? new Float64Array(head.actionDim) : new Int32Array(1);
    const fps = env.metadata.renderFps ?? 30;
    const context = canvas.getContext("2d")!;
    let speed = 1, seed = 0, sampled = false, episode = 0;
    let obs: Float32Array, total = 0, length = 0, state: ReplayState = "ready", rng: Random | undefined;
    let due = 0, lastTime = 0;

    const returnValue = h("div", { class: "value", "data-role": "return" }, "0");
    const stepValue = h("div", { class: "value", "data-role": "length" }, "0");
    const episodeValue = h("div", { class: "value", "data-role": "episode" }, "1");
    const fpsValue = h("div", { class: "value" }, String(fps));
    const stateLine = h("div", { class: "episode-state", "data-role": "episode-state" });
    const play = h("button", { class: "btn primary", type: "button", "data-action": "play", onclick: () => setState(state === "playing" ? "paused" : "playing") }, "▶ Play");
    const step = h("button", { class: "btn", type: "button", "data-action": "step", onclick: () => (setState("paused"), stepOnce(), draw()) }, "Step");
    const again = h("button", { class: "btn", type: "button", "data-action": "new-episode", onclick: () => (episode++, reset(), setState("ready")) }, "New episode");
    const gifNote = h("span", { class: "muted", "data-role": "gif-note" });
    const gif = h("button", { class: "btn", type: "button", "data-action": "gif", title: "the current episode (seed, greedy or sampled actions) from its start, as an animated GIF", onclick: () => void downloadGif() }, "⬇ GIF");
    const speedSelect = h("select", { "aria-label": "speed", "data-control": "speed", onchange: () => (speed = Number(speedSelect.value)) }, SPEEDS.map((s) => h("option", { value: String(s), selected: s === 1 }, `${s}×`)));
    const seedInput = h("input", { type: "number", min: 0, value: "0", "aria-label": "seed", onchange: () => ((seed = Math.max(0, Math.floor(Number(seedInput.value)) || 0)), (episode = 0), reset(), setState("ready")) });
    const sources = h("select", { "aria-label": "policy source", onchange: () => (location.hash = sources.value) },
      run.artifacts.map((a) => {
        const hash = a.kind === "policy" ? `#/replay/${run.id}` : `#/replay/${run.id}?checkpoint=${a.step}`;
        const current = a.kind === "policy" ? checkpoint === undefined : checkpoint === a.step;
        return h("option", { value: hash, selected: current }, a.kind === "policy" ? `saved policy (step ${formatInt(a.step)})` : `checkpoint at step ${formatInt(a.step)}`);
      }),
    );
    const stat = (label: string, value: HTMLElement) => h("div", { class: "stat" }, h("div", { class: "label" }, label), value);
    replaceChildren(panel,
      h("div", { class: "row" }, play, step, again, gif),
      gifNote,
      h("div", { class: "stats" }, stat("Return", returnValue), stat("Step", stepValue), stat("Episode", episodeValue), stat("Playback, steps/s", fpsValue)),
      stateLine,
      h("label", { class: "field" }, "speed", speedSelect),
      h("label", { class: "field" }, "seed", seedInput),
      h("span", { class: "field" }, "actions", segmented([["greedy", "Greedy"], ["sampled", "Sampled"]], "greedy", (v) => ((sampled = v === "sampled"), reset(), setState("ready")), "actions")),
      h("label", { class: "field" }, "from", sources),
    );

    function reset(): void {
      [obs] = env.reset({ seed: seed + episode });
      rng = sampled ? new Random(seed + episode) : undefined;
      total = 0;
      length = 0;
      draw();
    }

    function stepOnce(): void {
      if (state === "ended") return;
      policy.act(obs, 1, action, rng);
      const [next, reward, terminated, truncated] = env.step(continuous ? Float32Array.from(action) : action[0]!);
      obs = next;
      total += reward;
      length++;
      if (terminated || truncated) {
        setState("ended");
        stateLine.textContent = `Episode over: ${terminated ? "terminated" : "truncated at the time limit"} after ${formatInt(length)} steps, return ${total.toFixed(2)}`;
      }
    }

    function setState(next: ReplayState): void {
      state = next;
      panel.dataset.state = next;
      play.textContent = next === "playing" ? "❚❚ Pause" : "▶ Play";
      play.disabled = next === "ended";
      step.disabled = next === "ended";
      if (next !== "ended") stateLine.textContent = next === "playing" ? "Playing…" : next === "paused" ? "Paused" : "Ready: press Play";
      lastTime = performance.now();
      due = 0;
    }

    let image: ImageData | null = null;
    function draw(): void {
      const frame = env.render();
      if (!frame) throw new Error(`${policy.envId} cannot draw itself: its render() returns null`);
      if (!image || image.width !== frame.width || image.height !== frame.height) {
        canvas.width = frame.width;
        canvas.height = frame.height;
        image = context.createImageData(frame.width, frame.height);
      }
      const rgba = image.data, rgb = frame.data;
      for (let p = 0, q = 0; p < rgb.length; p += 3, q += 4) {
        rgba[q] = rgb[p]!;
        rgba[q + 1] = rgb[p + 1]!;
        rgba[q + 2] = rgb[p + 2]!;
        rgba[q + 3] = 255;
      }
      context.putImageData(image, 0, 0);
      returnValue.textContent = total.toFixed(2);
      stepValue.textContent = formatInt(length);
      episodeValue.textContent = String(episode + 1);
      fpsValue.textContent = String(Math.round(fps * speed));
    }

    function tick(now: number): void {
      if (disposed) return;
      if (state === "playing") {
        // Advance by the time elapsed at the env's own frame rate (× speed), drawing once per frame.
        due += ((now - lastTime) / 1000) * fps * speed;
        lastTime = now;
        const steps = Math.min(Math.floor(due), 1000);
        due -= steps;
        for (let i = 0; i < steps && state === "playing"; i++) stepOnce();
        if (steps > 0) draw();
      }
      frameRequest = requestAnimationFrame(tick);
    }

    /**
     * Plays the current episode again from its start in an env of its own (same seed, same
     * actions) and downloads it as a GIF; the episode on the canvas goes on undisturbed.
     */
    async function downloadGif(): Promise<void> {
      gif.disabled = true;
      gifNote.textContent = "Recording…";
      await new Promise((resolve) => setTimeout(resolve, 0)); // let the note show before the work
      try {
        const recorder = new GifRecorder(fps);
        const recordEnv = makeEnv<Float32Array, unknown>(policy.envToPlay(), "replay");
        const recordRng = sampled ? new Random(seed + episode) : undefined;
        const recordAction = continuous ? new Float64Array(head.actionDim) : new Int32Array(1);
        let [o] = recordEnv.reset({ seed: seed + episode });
        let steps = 0;
        for (;;) {
          recorder.add(recordEnv.render()!);
          policy.act(o, 1, recordAction, recordRng);
          const [next, , terminated, truncated] = recordEnv.step(continuous ? Float32Array.from(recordAction) : recordAction[0]!);
          o = next;
          steps++;
          if (terminated || truncated) break;
        }
        recorder.add(recordEnv.render()!);
        const bytes = recorder.finish();
        const link = h("a", { href: URL.createObjectURL(new Blob([bytes as BlobPart], { type: "image/gif" })), download: `${run.name.replace(/[^\w.-]+/g, "_")}-seed${seed + episode}.gif` });
        link.click();
        setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
        gifNote.textContent = `GIF of ${formatInt(steps)} steps (${formatInt(bytes.length / 1024)} KB) downloaded`;
      } catch (err) {
        gifNote.textContent = `Could not record: ${(err as Error).message}`;
      } finally {
        gif.disabled = false;
      }
    }

    reset();
    setState("ready");
    frameRequest = requestAnimationFrame(tick);
  }

  return {
    dispose: () => {
      disposed = true;
      cancelAnimationFrame(frameRequest);
    },
  };
}
