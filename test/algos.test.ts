/** PPO and DQN: loss gradients, determinism, learning, saved policies and clear errors. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, DQN, NonFiniteError, PPO, Policy, SAC, erf, fastErf, resolveDQNConfig, resolvePPOConfig } from "../src/algos/index.js";
import { ppoLoss, type PPOLossTerms } from "../src/algos/ppo.js";
import { decodeTensorFile, encodeTensorFile } from "../src/nn/serialize.js";
import { Random } from "../src/rng/random.js";

const terms = (): PPOLossTerms => ({ policyLoss: 0, valueLoss: 0, entropy: 0, oldApproxKl: 0, approxKl: 0, clipFraction: 0 });

describe("PPO loss", () => {
  for (const clipVloss of [true, false]) {
    it(`gradients w.r.t. log-probs and values match finite differences (clipVloss ${clipVloss})`, () => {
      const rng = new Random(7);
      const B = 64;
      // Log-ratios and value changes spread across the clip range, so every branch is exercised.
      const oldLogProb = Float64Array.from({ length: B }, () => -rng.random() * 2);
      const newLogProb = oldLogProb.map((x) => x + (rng.random() - 0.5) * 0.8);
      const oldValue = Float64Array.from({ length: B }, () => rng.normal() * 3);
      const newValue = oldValue.map((x) => x + (rng.random() - 0.5) * 1.2);
      const mb = { newLogProb, oldLogProb, advantages: Float64Array.from({ length: B }, () => rng.normal()), entropy: Float64Array.from({ length: B }, () => rng.random()), newValue, oldValue, returns: Float64Array.from({ length: B }, () => rng.normal() * 3) };
      const c = { clipCoef: 0.2, clipVloss, entCoef: 0.01, vfCoef: 0.5 };
      const gLp = new Float64Array(B), gV = new Float64Array(B), scratch = new Float64Array(B);
      const t = terms();
      ppoLoss(c, mb, gLp, gV, t);
      assert.ok(t.clipFraction > 0.1 && t.clipFraction < 0.9, `clip fraction ${t.clipFraction}`);
      const h = 1e-6;
      for (let b = 0; b < B; b++) {
        for (const [key, grad] of [["newLogProb", gLp], ["newValue", gV]] as const) {
          const at = (delta: number) => ppoLoss(c, { ...mb, [key]: mb[key].map((x, i) => (i === b ? x + delta : x)) }, scratch, scratch, terms());
          const numeric = (at(h) - at(-h)) / (2 * h);
          assert.ok(Math.abs(numeric - grad[b]!) < 1e-6, `${key}[${b}]: ${numeric} vs ${grad[b]}`);
        }
      }
    });
  }

  it("reports CleanRL's logged quantities", () => {
    const t = terms();
    const loss = ppoLoss(
      { clipCoef: 0.2, clipVloss: false, entCoef: 0.01, vfCoef: 0.5 },
      { newLogProb: [Math.log(1.5)], oldLogProb: [0], advantages: [2], entropy: [0.6], newValue: [1], oldValue: [0], returns: [3] },
      [0],
      [0],
      t,
    );
    assert.ok(Math.abs(t.policyLoss - -2 * 1.2) < 1e-12, "min of ratio·A and clip(ratio)·A");
    assert.equal(t.clipFraction, 1);
    assert.equal(t.valueLoss, 0.5 * 4);
    assert.ok(Math.abs(t.approxKl - (0.5 - Math.log(1.5))) < 1e-12);
    assert.ok(Math.abs(loss - (-2.4 - 0.006 + 1)) < 1e-12);
  });
});

describe("HL-Gauss", () => {
  it("erf matches reference values", () => {
    const cases: [number, number][] = [[0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527], [2.7, 0.9998656672600594], [3.5, 0.9999992569016276], [-1.3, -0.934007944940652]];
    for (const [x, y] of cases) assert.ok(Math.abs(erf(x) - y) < 1e-14, `erf(${x}) = ${erf(x)}, expected ${y}`);
  });

  it("fastErf (table + Hermite) stays within 1e-11 of erf", () => {
    let worst = 0;
    for (let x = -7; x <= 7; x += 0.000731) worst = Math.max(worst, Math.abs(fastErf(x) - erf(x)));
    assert.ok(worst < 1e-11, `worst ${worst}`);
    assert.equal(fastErf(Infinity), 1);
    assert.ok(Number.isNaN(fastErf(NaN)));
  });

  it("DQN with HL-Gauss derives the value support from the env and γ", () => {
    const c = resolveDQNConfig({ envId: "CartPole-v1", loss: "hl-gauss" });
    assert.deepEqual([c.vMin, c.vMax], [0, 1 / (1 - 0.99)]);
    assert.equal(resolveDQNConfig({ envId: "Acrobot-v1", loss: "hl-gauss" }).vMin, -1 / (1 - 0.99));
    assert.throws(() => resolveDQNConfig({ envId: "MountainCarContinuous-v0", loss: "hl-gauss" }), /Discrete/);
  });
});

function episodeReturns(agent: { episodes: { returns: number[] } }): number[] {
  return agent.episodes.returns;
}

describe("PPO training", () => {
  it("same seed ⇒ identical run; another seed ⇒ a different one", () => {
    const run = (seed: number) => {
      const agent = new PPO({ envId: "CartPole-v1", seed, totalTimesteps: 2048 });
      agent.learn();
      return { returns: episodeReturns(agent), params: agent.actor.parameterView().slice() };
    };
    const a = run(3), b = run(3), c = run(4);
    assert.ok(a.returns.length > 10);
    assert.deepEqual(a.returns, b.returns);
    assert.deepEqual(a.params, b.params);
    assert.notDeepEqual(a.returns, c.returns);
  });

  it("learns CartPole: mean return of the last 20 episodes above 150 after 60k steps", () => {
    const agent = new PPO({ envId: "CartPole-v1", seed: 1, totalTimesteps: 60_000 });
    const result = agent.learn();
    assert.ok(agent.episodes.meanReturn(20) > 150, `mean return ${agent.episodes.meanReturn(20)}`);
    assert.equal(result.total_timesteps, 59_904);
    assert.equal(result.episodes, agent.episodes.count);
  });

  it("continuous actions (Pendulum): Gaussian head, normalization, metrics reported", () => {
    const metrics: Record<string, number>[] = [];
    const agent = new PPO({ envId: "Pendulum-v1", seed: 2, totalTimesteps: 4096, numSteps: 1024 });
    const result = agent.learn({ onMetrics: (_, m) => metrics.push(m) });
    assert.equal(metrics.length, 4);
    for (const key of ["losses/value_loss", "losses/policy_loss", "losses/entropy", "losses/approx_kl", "losses/clipfrac", "charts/learning_rate", "charts/SPS"]) {
      assert.ok(Number.isFinite(metrics[3]![key]), key);
    }
    assert.equal(result.episodes, 20, "4096 steps are 20 episodes of 200");
    assert.ok(agent.logStd && agent.logStd.value[0] !== 0, "the log-std is trained");
  });

  it("stops with a diagnostic naming the tensor when parameters become NaN", () => {
    const agent = new PPO({ envId: "CartPole-v1", seed: 1, totalTimesteps: 1024 });
    agent.critic.parameterView()[5] = NaN;
    assert.throws(() => agent.learn(), (e: Error) => e instanceof NonFiniteError && /PPO loss became NaN at update 1/.test(e.message) && /critic\.0\.weight/.test(e.message));
  });
});

describe("DQN training", () => {
  const small = { envId: "CartPole-v1", totalTimesteps: 3000, learningStarts: 500, targetNetworkFrequency: 100, bufferSize: 2000 } as const;
  for (const variant of [{}, { doubleQ: true }, { loss: "hl-gauss" as const }]) {
    it(`same seed ⇒ identical run (${JSON.stringify(variant)})`, () => {
      const run = (seed: number) => {
        const agent = new DQN({ ...small, ...variant, seed });
        agent.learn();
        return { returns: episodeReturns(agent), params: agent.qNetwork.parameterView().slice() };
      };
      const a = run(5), b = run(5), c = run(6);
      assert.deepEqual(a.returns, b.returns);
      assert.deepEqual(a.params, b.params);
      assert.notDeepEqual(a.params, c.params);
    });
  }

  it("learns CartPole: mean return of the last 20 episodes above 100 after 40k steps", () => {
    const agent = new DQN({ envId: "CartPole-v1", seed: 1, totalTimesteps: 40_000, learningStarts: 1000, explorationFraction: 0.25 });
    agent.learn();
    assert.ok(agent.episodes.meanReturn(20) > 100, `mean return ${agent.episodes.meanReturn(20)}`);
  });
});

describe("saved policies", () => {
  it("a saved PPO policy acts like the trained actor (greedy) and keeps Pendulum's observation statistics", () => {
    for (const envId of ["CartPole-v1", "Pendulum-v1"]) {
      const agent = new PPO({ envId, seed: 1, totalTimesteps: 2048, numSteps: 512 });
      agent.learn();
      const policy = new Policy(agent.savePolicy(), { maxBatch: 3 });
      assert.equal(policy.envId, envId);
      assert.deepEqual(policy.network.parameterView(), agent.actor.parameterView());
      const obs = Float32Array.from({ length: 3 * policy.network.inputSize }, (_, i) => Math.sin(i));
      const out = new Float64Array(3 * policy.network.outputSize);
      policy.act(obs, 3, out);
      assert.ok(out.every(Number.isFinite));
      assert.equal(policy.saved.observationNormalization === null, envId === "CartPole-v1");
    }
  });

  it("a saved DQN policy (HL-Gauss) acts greedily on expected values", () => {
    const agent = new DQN({ envId: "CartPole-v1", loss: "hl-gauss", totalTimesteps: 1000, learningStarts: 200 });
    agent.learn();
    const policy = new Policy(agent.savePolicy());
    const out = [0];
    policy.act(new Float32Array([0, 0, 0.1, 0]), 1, out);
    assert.ok(out[0] === 0 || out[0] === 1);
    assert.throws(() => new Policy(new Uint8Array(10)), /too short/);
  });
});

describe("config validation", () => {
  it("names the field, the allowed range and the value", () => {
    assert.throws(() => resolvePPOConfig({ envId: "CartPole-v1", clipCoef: -1 }), (e: Error) => e instanceof ConfigError && /clipCoef: must be > 0 \(got -1\)/.test(e.message));
    assert.throws(() => resolvePPOConfig({ envId: "CartPole-v1", learningRat: 1 } as never), /unknown field "learningRat" \(did you mean "learningRate"\?\)/);
    assert.throws(() => resolvePPOConfig({ envId: "CartPole-v1", numEnvs: 2.5 }), /numEnvs: numEnvs must be an integer/);
    assert.throws(() => resolvePPOConfig({ envId: "Cartpole-v1" }), /Unknown environment id "Cartpole-v1". Did you mean CartPole-v1/);
    assert.throws(() => resolveDQNConfig({ envId: "Pendulum-v1" }), /DQN needs a Discrete action space; Pendulum-v1 has Box/);
    assert.throws(() => resolveDQNConfig({ envId: "CartPole-v1", startE: 0.1, endE: 0.5 }), /endE must be ≤ startE/);
  });

  it("picks CleanRL's continuous defaults for Box action spaces", () => {
    const c = resolvePPOConfig({ envId: "Pendulum-v1" });
    assert.deepEqual([c.learningRate, c.numEnvs, c.numSteps, c.numMinibatches, c.updateEpochs, c.entCoef, c.normalize], [3e-4, 1, 2048, 32, 10, 0, true]);
  });
});

describe("checkpoints", () => {
  /** Trains `make()` to the end, and another copy that checkpoints at `at`, stops, and resumes in a fresh agent. */
  function resumeMatches<A extends { learn(cb?: object): unknown; saveCheckpoint(): Uint8Array; loadCheckpoint(b: Uint8Array): void; episodes: { returns: number[] } }>(
    make: () => A,
    at: number,
    params: (a: A) => Float32Array,
  ): void {
    const full = make();
    full.learn();
    let saved: Uint8Array | null = null;
    const interrupted = make();
    assert.throws(() =>
      interrupted.learn({
        checkpoint: (step: number) => {
          if (step >= at) {
            saved = interrupted.saveCheckpoint();
            throw new Error("interrupted");
          }
        },
      }),
    /interrupted/);
    const resumed = make();
    resumed.loadCheckpoint(saved!);
    assert.ok(resumed.episodes.returns.length > 0 && resumed.episodes.returns.length < full.episodes.returns.length);
    resumed.learn();
    assert.deepEqual(resumed.episodes.returns, full.episodes.returns);
    assert.deepEqual(params(resumed), params(full));
  }

  it("PPO (CartPole and Pendulum) resumes exactly from a checkpoint", () => {
    resumeMatches(() => new PPO({ envId: "CartPole-v1", seed: 3, totalTimesteps: 6144, numSteps: 512 }), 3000, (a) => a.actor.parameterView().slice());
    resumeMatches(() => new PPO({ envId: "Pendulum-v1", seed: 3, totalTimesteps: 4096, numSteps: 1024 }), 2000, (a) => a.critic.parameterView().slice());
  });

  it("DQN resumes exactly from a checkpoint, replay buffer included", () => {
    resumeMatches(() => new DQN({ envId: "CartPole-v1", seed: 3, totalTimesteps: 5000, learningStarts: 1000, bufferSize: 1500, targetNetworkFrequency: 200 }), 3333, (a) => a.qNetwork.parameterView().slice());
  });

  it("DQN and SAC: a checkpoint from before the separate replay stream starts replay from a fresh Random(seed + 2), not from the acting stream's state", () => {
    /** The checkpoint as one made before `field` was saved. */
    const withoutState = (bytes: Uint8Array, field: string): Uint8Array => {
      const file = decodeTensorFile(bytes);
      const { [field]: _, ...state } = file.meta.state as Record<string, unknown>;
      return encodeTensorFile({ ...file.meta, state }, [...file.tensors.values()]);
    };
    type Streams = { rng: Random; worker: { rng: Random } };
    const cases: [string, () => DQN | SAC][] = [
      ["replayRng", () => new DQN({ envId: "CartPole-v1", seed: 5, totalTimesteps: 400, learningStarts: 100, bufferSize: 400 })],
      ["learnerRng", () => new SAC({ envId: "Pendulum-v1", seed: 5, totalTimesteps: 300, learningStarts: 100, batchSize: 16, bufferSize: 300, hiddenSizes: [16, 16] })],
    ];
    for (const [field, make] of cases) {
      const trained = make();
      trained.learn();
      const old = withoutState(trained.saveCheckpoint(), field);
      const loaded = make();
      loaded.loadCheckpoint(old);
      const { rng: replay, worker } = loaded as unknown as Streams;
      assert.deepEqual(worker.rng.getState(), (trained as unknown as Streams).worker.rng.getState(), `${field}: the acting stream continues`);
      assert.deepEqual(replay.getState(), new Random(5 + 2).getState(), `${field}: the replay stream starts afresh`);
      assert.notDeepEqual(replay.getState(), worker.rng.getState());
    }
  });

  it("refuses a checkpoint of another algorithm or config", () => {
    const ppo = new PPO({ envId: "CartPole-v1", seed: 1, totalTimesteps: 1024 });
    const bytes = ppo.saveCheckpoint();
    assert.throws(() => new PPO({ envId: "CartPole-v1", seed: 2, totalTimesteps: 1024 }).loadCheckpoint(bytes), /different config/);
    assert.throws(() => new DQN({ envId: "CartPole-v1" }).loadCheckpoint(bytes), /missing q_network|not a dqn checkpoint/);
  });
});
