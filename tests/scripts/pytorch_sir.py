"""A PINN for the SIR model, written for PyTorch as its users write it (the test runs it on wengert too).

Only the two import lines change between the PyTorch and the wengert run. `run` trains for
`adam_steps` Adam steps and then up to `lbfgs_steps` L-BFGS iterations (one `step` with a
closure, strong-Wolfe line search), and returns the loss of every evaluation with the initial
state_dict, so that a second run can start from the same weights.
"""

import torch
import torch.nn as nn

DAYS = 60.0
POPULATION = 1000.0


class SIRNet(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(1, hidden),
            nn.Tanh(),
            nn.Linear(hidden, hidden),
            nn.Tanh(),
            nn.Linear(hidden, 3),
        )
        self.log_beta = nn.Parameter(torch.tensor(-1.0, dtype=torch.float64))
        self.log_gamma = nn.Parameter(torch.tensor(-2.0, dtype=torch.float64))

    def forward(self, t):
        return torch.sigmoid(self.net(t))


def physics_loss(model, t):
    t = t.clone().requires_grad_(True)
    u = model(t)
    s, i, r = u[:, 0:1], u[:, 1:2], u[:, 2:3]
    ones = torch.ones_like(s)
    ds = torch.autograd.grad(s, t, grad_outputs=ones, create_graph=True)[0]
    di = torch.autograd.grad(i, t, grad_outputs=ones, create_graph=True)[0]
    dr = torch.autograd.grad(r, t, grad_outputs=ones, create_graph=True)[0]
    beta, gamma = torch.exp(model.log_beta) * DAYS, torch.exp(model.log_gamma) * DAYS
    residual = torch.cat([ds + beta * s * i, di - beta * s * i + gamma * i, dr - gamma * i], dim=1)
    return torch.mean(residual**2)


def data_loss(model, t_obs, infected):
    predicted = model(t_obs)[:, 1:2]
    return torch.mean((predicted - infected / POPULATION) ** 2)


def run(adam_steps=10, lbfgs_steps=10, initial_state=None):
    torch.manual_seed(0)
    model = SIRNet().double()
    if initial_state is not None:
        model.load_state_dict(initial_state)
    start = {name: value.detach().clone() for name, value in model.state_dict().items()}
    t = torch.linspace(0.0, 1.0, 64, dtype=torch.float64).reshape(-1, 1)
    t_obs = torch.linspace(0.05, 0.95, 10, dtype=torch.float64).reshape(-1, 1)
    infected = 10.0 + 300.0 * torch.exp(-((t_obs - 0.4) ** 2) / 0.02)

    def total_loss():
        return data_loss(model, t_obs, infected) + 0.1 * physics_loss(model, t)

    losses = []
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(adam_steps):
        optimizer.zero_grad()
        loss = total_loss()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    lbfgs = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=lbfgs_steps, line_search_fn="strong_wolfe")

    def closure():
        lbfgs.zero_grad()
        loss = total_loss()
        loss.backward()
        losses.append(loss.item())  # every evaluation, line-search trials included
        return loss

    lbfgs.step(closure)
    final = total_loss().item()  # the physics term differentiates u in t: no no_grad here
    return losses, final, start
