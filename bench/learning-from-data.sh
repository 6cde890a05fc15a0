#!/bin/sh
# Learning from data on Pendulum-v1, at small budgets (README: "Learning from data"):
# an expert (SAC, 15k steps) and a medium policy (SAC, 4k steps); expert, medium, random datasets
# and a mix; BC and IQL on them; SAC alone, SAC + demos and SAC + RLPD with 10 expert episodes;
# demonstration-regularized SAC; SAC started from IQL agents (offline-to-online).
# PPO on CartPole-v1 with demonstration regularization (its own expert and demos).
# PART=prep|offline|online|demoreg|ppo runs one part (the later ones need prep's datasets); default all.
# The same on Hopper-v5 (README: "Results on Hopper-v5"): PART=hopper-prep|hopper-offline|hopper-online,
# not part of "all" (its own store is best: STORE=/tmp/tsrl-learning-from-data-hopper).
# Summarize with: node --import tsx bench/learning-from-data.ts "$STORE"
set -e
PART=${PART:-all}
part() { [ "$PART" = all ] || [ "$PART" = "$1" ]; }
STORE=${STORE:-/tmp/tsrl-learning-from-data}
TSRL=${TSRL:-"node --import tsx src/cli/main.ts"}
S="--store $STORE"
run() { nice -n 10 $TSRL "$@" $S --json 2>/dev/null | tail -1; }

if part prep; then
run train sac --env Pendulum-v1 --total-timesteps 15000 --learning-starts 2000 --seed 1 --name sac-expert --save "$STORE/sac-expert.tsrlpolicy"
run train sac --env Pendulum-v1 --total-timesteps 4000 --learning-starts 2000 --seed 2 --name sac-medium --save "$STORE/sac-medium.tsrlpolicy"
$TSRL record --policy "$STORE/sac-expert.tsrlpolicy" --env Pendulum-v1 --episodes 50 --out pendulum-expert --seed 100 $S -q
$TSRL record --policy random --env Pendulum-v1 --episodes 50 --out pendulum-random --seed 200 $S -q
$TSRL record --policy "$STORE/sac-medium.tsrlpolicy" --stochastic --env Pendulum-v1 --episodes 50 --out pendulum-medium --seed 300 $S -q
$TSRL record --policy "$STORE/sac-expert.tsrlpolicy" --env Pendulum-v1 --episodes 20 --out pendulum-expert20 --seed 400 $S -q
$TSRL record --policy "$STORE/sac-expert.tsrlpolicy" --env Pendulum-v1 --episodes 10 --out pendulum-demos10 --seed 500 $S -q
$TSRL datasets merge pendulum-random pendulum-medium pendulum-expert20 --out pendulum-mixed $S
fi

if part offline; then
for ds in pendulum-expert pendulum-mixed; do for seed in 1 2 3; do
  run train bc --env Pendulum-v1 --dataset $ds --total-timesteps 20000 --eval-frequency 2000 --eval-episodes 10 --seed $seed --name bc-$ds-s$seed
done; done
for seed in 1 2 3; do
  run train iql --env Pendulum-v1 --dataset pendulum-mixed --total-timesteps 15000 --eval-frequency 1500 --eval-episodes 10 --seed $seed --name iql-pendulum-mixed-s$seed
done
fi

if part online; then
COMMON="--env Pendulum-v1 --hidden-sizes 64,64 --learning-starts 1000 --checkpoint-every 0"
for seed in 1 2 3; do
  run train sac $COMMON --total-timesteps 5000 --demos pendulum-demos10 --rlpd true --utd 4 --seed $seed --name rlpd-s$seed
  run train sac $COMMON --total-timesteps 12000 --seed $seed --name sac-s$seed
  run train sac $COMMON --total-timesteps 5000 --demos pendulum-demos10 --seed $seed --name sac-demos-s$seed
done
# ablation: RLPD's critic settings without the demos (same compute per step)
for seed in 1 2 3; do
  run train sac $COMMON --total-timesteps 5000 --rlpd true --utd 4 --seed $seed --name rlpd-nodemos-s$seed
done
# RLPD needs no random warm-up when demos fill half of each batch: 200 learning starts for both
COMMON="--env Pendulum-v1 --hidden-sizes 64,64 --learning-starts 200 --checkpoint-every 0"
for seed in 1 2 3; do
  run train sac $COMMON --total-timesteps 5000 --demos pendulum-demos10 --rlpd true --utd 4 --seed $seed --name ls200-rlpd-s$seed
  run train sac $COMMON --total-timesteps 12000 --seed $seed --name ls200-sac-s$seed
done
for seed in 1 2 3; do
  run train sac $COMMON --total-timesteps 5000 --rlpd true --utd 4 --seed $seed --name ls200-rlpd-nodemos-s$seed
done
fi

if part demoreg; then
COMMON="--env Pendulum-v1 --hidden-sizes 64,64 --learning-starts 1000 --checkpoint-every 0"
for seed in 1 2 3; do
  run train sac $COMMON --total-timesteps 6000 --seed $seed --name dr-sac-s$seed
  # demonstration-regularized SAC: the 10 expert episodes only through π_BC (no symmetric sampling)
  for lam in 0.1 1; do
    run train sac $COMMON --total-timesteps 6000 --demos pendulum-demos10 --demo-sampling false --demo-reg-coef $lam --seed $seed --name dr-kl$lam-s$seed
  done
  # both uses of the demos: π_BC and half of every minibatch
  run train sac $COMMON --total-timesteps 6000 --demos pendulum-demos10 --demo-reg-coef 1 --seed $seed --name dr-kl1-sampling-s$seed
  # a decaying λ leaves no regularization at its end: with α 0 (demo regularization's default) the policy collapses; give α back
  run train sac $COMMON --total-timesteps 6000 --demos pendulum-demos10 --demo-sampling false --demo-reg-coef 1 --demo-reg-decay 3000 --seed $seed --name dr-kl1decay-s$seed
  run train sac $COMMON --total-timesteps 6000 --demos pendulum-demos10 --demo-sampling false --demo-reg-coef 1 --demo-reg-decay 3000 --autotune true --seed $seed --name dr-kl1decay-autotune-s$seed
done
# offline-to-online: IQL (64-64, as the online runs) on the mixed data, then SAC from it
for seed in 1 2 3; do
  run train iql --env Pendulum-v1 --dataset pendulum-mixed --hidden-sizes 64,64 --total-timesteps 15000 --eval-frequency 1500 --eval-episodes 10 --seed $seed --name iql64-pendulum-mixed-s$seed
  run train sac $COMMON --total-timesteps 6000 --init iql64-pendulum-mixed-s$seed --seed $seed --name o2o-iql-s$seed
  run train sac $COMMON --total-timesteps 6000 --init iql64-pendulum-mixed-s$seed --demos pendulum-mixed --seed $seed --name o2o-iql-mixed-s$seed
  # IQL itself fine-tuned online for the same 6000 env steps
  run train iql --env Pendulum-v1 --dataset pendulum-mixed --hidden-sizes 64,64 --total-timesteps 15000 --online-steps 6000 --eval-frequency 3000 --eval-episodes 10 --checkpoint-every 0 --seed $seed --name iql64-online-s$seed
done
fi

if part ppo; then
run train ppo --env CartPole-v1 --total-timesteps 300000 --seed 1 --name cp-expert --save "$STORE/cp-expert.tsrlpolicy"
$TSRL record --policy "$STORE/cp-expert.tsrlpolicy" --env CartPole-v1 --episodes 10 --out cartpole-demos10 --seed 500 $S -q
for seed in 1 2 3; do
  run train ppo --env CartPole-v1 --total-timesteps 300000 --checkpoint-every 0 --seed $seed --name cp-ppo-s$seed
  for lam in 0.1 1; do
    run train ppo --env CartPole-v1 --total-timesteps 300000 --checkpoint-every 0 --demos cartpole-demos10 --demo-reg-coef $lam --seed $seed --name cp-ppo-kl$lam-s$seed
  done
done
fi

# Hopper-v5, with small networks (64-64, batch 64, as the README's MuJoCo results) for SAC so that
# RLPD's 10 critics fit this machine. The expert: SAC for 300k steps (greedy return ~1,390; its
# greedy policy at 150k fell after ~208 steps every episode: 496); the medium policy: SAC for 50k
# steps, sampled (~500, a third of the expert).
H="--env Hopper-v5 --hidden-sizes 64,64 --batch-size 64 --learning-starts 1000"
if [ "$PART" = hopper-prep ]; then
run train sac $H --total-timesteps 300000 --seed 1 --name sac-hopper-expert300k --save "$STORE/sac-hopper-expert300k.tsrlpolicy"
run train sac $H --total-timesteps 50000 --seed 2 --name sac-hopper-medium --save "$STORE/sac-hopper-medium.tsrlpolicy"
$TSRL record --policy "$STORE/sac-hopper-expert300k.tsrlpolicy" --env Hopper-v5 --episodes 50 --out hopper-expert --seed 100 $S -q
$TSRL record --policy random --env Hopper-v5 --episodes 50 --out hopper-random --seed 200 $S -q
$TSRL record --policy "$STORE/sac-hopper-medium.tsrlpolicy" --stochastic --env Hopper-v5 --episodes 50 --out hopper-medium --seed 300 $S -q
$TSRL record --policy "$STORE/sac-hopper-expert300k.tsrlpolicy" --env Hopper-v5 --episodes 20 --out hopper-expert20 --seed 400 $S -q
$TSRL record --policy "$STORE/sac-hopper-expert300k.tsrlpolicy" --env Hopper-v5 --episodes 10 --out hopper-demos10 --seed 500 $S -q
$TSRL datasets merge hopper-random hopper-medium hopper-expert20 --out hopper-mixed $S
fi

# online: SAC alone vs SAC + RLPD (10 LayerNorm critics, min over 2, 4 critic updates per env step)
# with the 10 expert episodes; summarized as the env step where the mean of the last 5 training
# episodes first reaches 0.8 × the expert's greedy return. (In the 2026-12-05 results SAC alone's
# seed 1 was read from sac-hopper-expert300k's first 150k steps: same config and seed, deterministic.)
if [ "$PART" = hopper-online ]; then
for seed in 1 2 3; do
  run train sac $H --checkpoint-every 0 --total-timesteps 20000 --demos hopper-demos10 --rlpd true --utd 4 --seed $seed --name hopper-rlpd-s$seed
  run train sac $H --checkpoint-every 0 --total-timesteps 150000 --seed $seed --name hopper-sac-s$seed
done
# ablation: RLPD's critic settings without the demos (one seed: 4-7 min per run here)
run train sac $H --checkpoint-every 0 --total-timesteps 20000 --rlpd true --utd 4 --seed 1 --name hopper-rlpd-nodemos-s1
fi

# offline: BC (256-256, its defaults) on expert and mixed data, IQL (its defaults) on the mixed data
if [ "$PART" = hopper-offline ]; then
for ds in hopper-expert hopper-mixed; do for seed in 1 2 3; do
  run train bc --env Hopper-v5 --dataset $ds --total-timesteps 5000 --eval-frequency 1000 --eval-episodes 10 --seed $seed --name bc-$ds-s$seed
done; done
for seed in 1 2 3; do
  run train iql --env Hopper-v5 --dataset hopper-mixed --total-timesteps 5000 --eval-frequency 1000 --eval-episodes 10 --seed $seed --name iql-hopper-mixed-s$seed
done
fi
