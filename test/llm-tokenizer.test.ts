import assert from "node:assert/strict";
import { test } from "node:test";
import { CharTokenizer } from "../src/llm/tokenizer.js";
import { contextForTask, problemsOf, setupTask } from "../src/llm/text-model.js";

test("character vocabularies encode one token per character, as before", () => {
  const tok = CharTokenizer.forTask("addition");
  assert.equal(tok.size, 14);
  assert.deepEqual([...tok.encode("12+3=")], [3, 4, 12, 5, 13]);
  assert.equal(tok.decode([...tok.encode("0123+4567="), 1, 5]), "0123+4567=");
  assert.throws(() => tok.encode("1-2"), /character "-" is not in the tokenizer's vocabulary/);
});

test("countdown's compact template: number tokens by longest match, the verifier's markers one token each", () => {
  const setup = setupTask("countdown", { template: "compact" });
  const tok = setup.tokenizer;
  assert.equal(tok.size, 115);
  const words = (text: string) => [...tok.encode(text)].map((t) => tok.vocabulary[t]);
  assert.deepEqual(words("25 100=7\nAssistant: <answer>(25-100)/3</answer>"), ["25", " ", "100", "=", "7", "\n", "Assistant:", " ", "<answer>", "(", "25", "-", "100", ")", "/", "3", "</answer>"]);
  assert.deepEqual(words("250"), ["25", "0"]);
  // a saved vocabulary rebuilds the same tokenizer
  assert.ok(CharTokenizer.fromVocabulary(tok.vocabulary).sameAs(tok));
  assert.ok(!tok.sameAs(setupTask("countdown").tokenizer));
  // every generated answer is correct under TinyZero's verifier, and the context is short
  for (const p of problemsOf(setup, "train", 50, 3)) {
    assert.match(p.prompt, /^\d+( \d+){2,3}=\d+\nAssistant: <answer>$/);
    const score = setup.task.score(p, p.answer);
    assert.equal(score.reward, 1, `${p.prompt}${p.answer}`);
    assert.equal(tok.decode(tok.encode(p.prompt + p.answer)), p.prompt + p.answer);
  }
  assert.equal(setup.task.score(problemsOf(setup, "train", 1, 3)[0]!, "1+2</answer>").reward, 0.1);
  assert.ok(contextForTask(setup) <= 30, `context ${contextForTask(setup)}`);
});

test("arithmetic with fillerMax: the filler is one more token, only when the option is on", () => {
  const setup = setupTask("addition", { fillerMax: 8 });
  assert.deepEqual(setup.tokenizer.vocabulary, ["<pad>", "<eos>", ..."0123456789+=."]);
  assert.equal(setupTask("addition").tokenizer.size, 14);
  assert.equal(setupTask("multiplication", { fillerMax: 2 }).tokenizer.size, 15);
  // the context covers the longest answer: prompt 10 + 5 digits + 8 filler + end
  assert.equal(contextForTask(setup), 24);
  for (const p of problemsOf(setup, "train", 20, 1)) assert.equal(setup.tokenizer.decode(setup.tokenizer.encode(p.prompt + p.answer)), p.prompt + p.answer);
});
