"""
The speed and score reference for bench/offpolicy-parity.ts: CleanRL's sac_continuous_action.py
(vwxyzjn/cleanrl) loop, re-typed as a minimal PyTorch script over a numpy Pendulum-v1, because
CleanRL needs gymnasium, which Debian does not package (and PyPI is not reachable here).

Kept as CleanRL has it: the Args defaults, the SoftQNetwork/Actor modules (PyTorch default init,
LOG_STD bounds -5..2, tanh squashing with the 1e-6 correction), one Adam for both critics, one for
the actor, one for log_alpha at q_lr, uniform actions from the action space before learning_starts,
one critic update per step after it, policy_frequency actor (and alpha) updates every
policy_frequency steps on the same batch, Polyak tau every target_network_frequency steps, SB3's
ReplayBuffer sampling (np.random.randint with replacement), gym's RecordEpisodeStatistics.
Pendulum-v1 follows Gymnasium's pendulum.py (dynamics, cost, reset uniform over [-pi, pi] x [-1, 1],
TimeLimit 200, PCG64 seeded like env.reset(seed=...)).

  /usr/bin/python3 bench/sac_reference.py --seed 1 --total-timesteps 20000

Prints one JSON line: seed, wall_s, cpu_s (this process's CPU seconds, all threads), sps, returns (every training episode), eval (deterministic
returns of the final actor on 10 episodes, the first reset seeded 10000, later ones continuing
its generator, as tsrl's evaluatePolicy does).
"""
import argparse
import json
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Pendulum:
    max_speed, max_torque, dt, g, m, l = 8.0, 2.0, 0.05, 10.0, 1.0, 1.0
    low = np.array([-2.0], dtype=np.float32)
    high = np.array([2.0], dtype=np.float32)

    def __init__(self):
        self.rng = np.random.default_rng()
        self.state = np.zeros(2)
        self.t = 0

    def reset(self, seed=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        high = np.array([np.pi, 1.0])
        self.state = self.rng.uniform(low=-high, high=high)
        self.t = 0
        return self._obs()

    def _obs(self):
        th, thdot = self.state
        return np.array([np.cos(th), np.sin(th), thdot], dtype=np.float32)

    def step(self, u):
        th, thdot = self.state
        u = np.clip(u, -self.max_torque, self.max_torque)[0]
        norm = ((th + np.pi) % (2 * np.pi)) - np.pi
        cost = norm**2 + 0.1 * thdot**2 + 0.001 * (u**2)
        newthdot = thdot + (3 * self.g / (2 * self.l) * np.sin(th) + 3.0 / (self.m * self.l**2) * u) * self.dt
        newthdot = np.clip(newthdot, -self.max_speed, self.max_speed)
        self.state = np.array([th + newthdot * self.dt, newthdot])
        self.t += 1
        return self._obs(), -float(cost), False, self.t >= 200


class SoftQNetwork(nn.Module):
    def __init__(self, obs_dim, act_dim):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim + act_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc3 = nn.Linear(256, 1)

    def forward(self, x, a):
        x = torch.cat([x, a], 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


LOG_STD_MAX = 2
LOG_STD_MIN = -5


class Actor(nn.Module):
    def __init__(self, obs_dim, act_dim, low, high):
        super().__init__()
        self.fc1 = nn.Linear(obs_dim, 256)
        self.fc2 = nn.Linear(256, 256)
        self.fc_mean = nn.Linear(256, act_dim)
        self.fc_logstd = nn.Linear(256, act_dim)
        self.register_buffer("action_scale", torch.tensor((high - low) / 2.0, dtype=torch.float32))
        self.register_buffer("action_bias", torch.tensor((high + low) / 2.0, dtype=torch.float32))

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        mean = self.fc_mean(x)
        log_std = torch.tanh(self.fc_logstd(x))
        log_std = LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (log_std + 1)
        return mean, log_std

    def get_action(self, x):
        mean, log_std = self(x)
        std = log_std.exp()
        normal = torch.distributions.Normal(mean, std)
        x_t = normal.rsample()
        y_t = torch.tanh(x_t)
        action = y_t * self.action_scale + self.action_bias
        log_prob = normal.log_prob(x_t)
        log_prob -= torch.log(self.action_scale * (1 - y_t.pow(2)) + 1e-6)
        log_prob = log_prob.sum(1, keepdim=True)
        mean = torch.tanh(mean) * self.action_scale + self.action_bias
        return action, log_prob, mean


class ReplayBuffer:
    """SB3's ReplayBuffer as CleanRL uses it (one env, handle_timeout_termination=False)."""

    def __init__(self, size, obs_dim, act_dim):
        self.obs = np.zeros((size, obs_dim), dtype=np.float32)
        self.next_obs = np.zeros((size, obs_dim), dtype=np.float32)
        self.actions = np.zeros((size, act_dim), dtype=np.float32)
        self.rewards = np.zeros((size,), dtype=np.float32)
        self.dones = np.zeros((size,), dtype=np.float32)
        self.size, self.pos, self.full = size, 0, False

    def add(self, obs, next_obs, action, reward, done):
        self.obs[self.pos], self.next_obs[self.pos], self.actions[self.pos] = obs, next_obs, action
        self.rewards[self.pos], self.dones[self.pos] = reward, done
        self.pos += 1
        if self.pos == self.size:
            self.full, self.pos = True, 0

    def sample(self, n):
        inds = np.random.randint(0, self.size if self.full else self.pos, size=n)
        t = torch.from_numpy
        return t(self.obs[inds]), t(self.actions[inds]), t(self.next_obs[inds]), t(self.dones[inds]), t(self.rewards[inds])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--total-timesteps", type=int, default=20000)
    p.add_argument("--buffer-size", type=int, default=int(1e6))
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--tau", type=float, default=0.005)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--learning-starts", type=int, default=5000)
    p.add_argument("--policy-lr", type=float, default=3e-4)
    p.add_argument("--q-lr", type=float, default=1e-3)
    p.add_argument("--policy-frequency", type=int, default=2)
    p.add_argument("--target-network-frequency", type=int, default=1)
    args = p.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.backends.cudnn.deterministic = True

    env = Pendulum()
    action_rng = np.random.default_rng(args.seed)  # env.action_space.seed(seed)
    actor = Actor(3, 1, Pendulum.low, Pendulum.high)
    qf1, qf2 = SoftQNetwork(3, 1), SoftQNetwork(3, 1)
    qf1_target, qf2_target = SoftQNetwork(3, 1), SoftQNetwork(3, 1)
    qf1_target.load_state_dict(qf1.state_dict())
    qf2_target.load_state_dict(qf2.state_dict())
    q_optimizer = optim.Adam(list(qf1.parameters()) + list(qf2.parameters()), lr=args.q_lr)
    actor_optimizer = optim.Adam(list(actor.parameters()), lr=args.policy_lr)
    target_entropy = -1.0
    log_alpha = torch.zeros(1, requires_grad=True)
    alpha = log_alpha.exp().item()
    a_optimizer = optim.Adam([log_alpha], lr=args.q_lr)
    rb = ReplayBuffer(min(args.buffer_size, args.total_timesteps), 3, 1)

    start, cpu_start = time.time(), time.process_time()
    returns, ep_return = [], 0.0
    obs = env.reset(seed=args.seed)
    for global_step in range(args.total_timesteps):
        if global_step < args.learning_starts:
            actions = action_rng.uniform(Pendulum.low, Pendulum.high).astype(np.float32)
        else:
            actions, _, _ = actor.get_action(torch.Tensor(obs).unsqueeze(0))
            actions = actions.detach().numpy()[0]
        next_obs, reward, terminated, truncated = env.step(actions)
        ep_return += reward
        rb.add(obs, next_obs, actions, reward, float(terminated))
        obs = next_obs
        if terminated or truncated:
            returns.append(ep_return)
            ep_return = 0.0
            obs = env.reset()

        if global_step > args.learning_starts:
            b_obs, b_actions, b_next_obs, b_dones, b_rewards = rb.sample(args.batch_size)
            with torch.no_grad():
                next_state_actions, next_state_log_pi, _ = actor.get_action(b_next_obs)
                qf1_next_target = qf1_target(b_next_obs, next_state_actions)
                qf2_next_target = qf2_target(b_next_obs, next_state_actions)
                min_qf_next_target = torch.min(qf1_next_target, qf2_next_target) - alpha * next_state_log_pi
                next_q_value = b_rewards.flatten() + (1 - b_dones.flatten()) * args.gamma * min_qf_next_target.view(-1)
            qf1_a_values = qf1(b_obs, b_actions).view(-1)
            qf2_a_values = qf2(b_obs, b_actions).view(-1)
            qf_loss = F.mse_loss(qf1_a_values, next_q_value) + F.mse_loss(qf2_a_values, next_q_value)
            q_optimizer.zero_grad()
            qf_loss.backward()
            q_optimizer.step()

            if global_step % args.policy_frequency == 0:
                for _ in range(args.policy_frequency):
                    pi, log_pi, _ = actor.get_action(b_obs)
                    min_qf_pi = torch.min(qf1(b_obs, pi), qf2(b_obs, pi))
                    actor_loss = ((alpha * log_pi) - min_qf_pi).mean()
                    actor_optimizer.zero_grad()
                    actor_loss.backward()
                    actor_optimizer.step()
                    with torch.no_grad():
                        _, log_pi, _ = actor.get_action(b_obs)
                    alpha_loss = (-log_alpha.exp() * (log_pi + target_entropy)).mean()
                    a_optimizer.zero_grad()
                    alpha_loss.backward()
                    a_optimizer.step()
                    alpha = log_alpha.exp().item()

            if global_step % args.target_network_frequency == 0:
                for param, target_param in zip(qf1.parameters(), qf1_target.parameters()):
                    target_param.data.copy_(args.tau * param.data + (1 - args.tau) * target_param.data)
                for param, target_param in zip(qf2.parameters(), qf2_target.parameters()):
                    target_param.data.copy_(args.tau * param.data + (1 - args.tau) * target_param.data)
    wall, cpu = time.time() - start, time.process_time() - cpu_start

    evaluation = []
    e = Pendulum()
    for k in range(10):
        o, total, done = e.reset(seed=10000 if k == 0 else None), 0.0, False
        while not done:
            with torch.no_grad():
                _, _, mean = actor.get_action(torch.Tensor(o).unsqueeze(0))
            o, r, term, trunc = e.step(mean.numpy()[0])
            total += r
            done = term or trunc
        evaluation.append(total)
    print(json.dumps({"seed": args.seed, "wall_s": wall, "cpu_s": cpu, "sps": args.total_timesteps / wall, "returns": returns, "eval": evaluation}))


if __name__ == "__main__":
    main()
