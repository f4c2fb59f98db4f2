"""Fit the four rates of a Lotka-Volterra predator-prey model to noisy counts, with scipy and s2sad's gradient.

    python examples/ode_fit.py            # writes examples/images/ode_fit.png
    python examples/ode_fit.py --quick    # a shorter series, faster

The model is integrated by a fixed-step Runge-Kutta (RK4) loop written in numpy; s2sad differentiates
through the loop (its reverse sweep walks the steps backwards), and ``scipy.optimize.minimize`` gets
the gradient as ``jac=``.
"""

import argparse
import pathlib

import matplotlib

matplotlib.use("Agg")  # no display: the figure goes to a file
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

import s2sad  # noqa: E402
from s2sad import finite_differences  # noqa: E402

IMAGE = pathlib.Path(__file__).parent / "images" / "ode_fit.png"
TRUE_RATES = np.array([1.0, 0.4, 0.8, 0.2])  # prey growth, predation, predator death, predator growth
DT = 0.05  # the integration step
STRIDE = 4  # one observation every STRIDE steps


def lotka_volterra(state, rates):
    prey, predator = state[0], state[1]
    return np.array(
        [
            rates[0] * prey - rates[1] * prey * predator,
            rates[3] * prey * predator - rates[2] * predator,
        ]
    )


def simulate(log_rates, state0, steps):
    """The trajectory, shape (steps + 1, 2), by RK4; the rates are exp(log_rates), so they stay positive."""
    rates = np.exp(log_rates)
    state = state0
    states = [state]
    for _ in range(steps):
        k1 = lotka_volterra(state, rates)
        k2 = lotka_volterra(state + 0.5 * DT * k1, rates)
        k3 = lotka_volterra(state + 0.5 * DT * k2, rates)
        k4 = lotka_volterra(state + DT * k3, rates)
        state = state + DT / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        states.append(state)
    return np.array(states)


def misfit(log_rates, state0, observed):
    """Half the sum of squared differences between the model, at the observation times, and the data."""
    steps = STRIDE * (observed.shape[0] - 1)
    trajectory = simulate(log_rates, state0, steps)
    residual = trajectory[::STRIDE] - observed
    return 0.5 * np.sum(residual**2)


def plot(times, observed, fine_times, initial, fitted, truth, out):
    figure, axes = plt.subplots(figsize=(9.5, 4.5))
    for column, (name, color) in enumerate((("prey", "tab:green"), ("predators", "tab:purple"))):
        axes.plot(times, observed[:, column], "o", color=color, markersize=4, alpha=0.7, label=f"{name}: data")
        axes.plot(fine_times, fitted[:, column], "-", color=color, linewidth=2, label=f"{name}: fitted")
        axes.plot(fine_times, truth[:, column], ":", color="black", linewidth=1)
        axes.plot(fine_times, initial[:, column], "--", color=color, linewidth=1, alpha=0.5)
    axes.plot([], [], ":", color="black", label="true model")
    axes.plot([], [], "--", color="gray", label="initial guess")
    axes.set(title="Lotka-Volterra fit: L-BFGS-B with s2sad's gradient", xlabel="time", ylabel="population")
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=80)
    plt.close(figure)


def main(size="full", out=IMAGE):
    """Make data, check the gradient once, fit, plot; returns the fitted and true rates and the gradient check."""
    observations = 61 if size == "full" else 26
    rng = np.random.default_rng(1)
    state0 = np.array([10.0, 5.0])
    truth = simulate(np.log(TRUE_RATES), state0, STRIDE * (observations - 1))
    observed = truth[::STRIDE] + rng.normal(scale=0.5, size=(observations, 2))

    gradient = s2sad.grad(misfit)  # w.r.t. log_rates; scipy calls jac(log_rates, state0, observed)
    start = np.log(np.array([0.7, 0.3, 1.1, 0.3]))
    numeric = finite_differences.gradient(lambda trial: misfit(trial, state0, observed), start)
    error = float(np.max(np.abs(gradient(start, state0, observed) - numeric)) / np.max(np.abs(numeric)))
    print(f"gradient vs central finite differences: largest relative difference {error:.1e}")

    result = minimize(misfit, start, args=(state0, observed), jac=gradient, method="L-BFGS-B")
    rates = np.exp(result.x)
    print(f"misfit {misfit(start, state0, observed):.1f} -> {result.fun:.1f} in {result.nit} iterations")
    print(f"fitted rates {np.round(rates, 3)}, true {TRUE_RATES}")

    steps = STRIDE * (observations - 1)
    fine_times = DT * np.arange(steps + 1)
    initial = simulate(start, state0, steps)
    fitted = simulate(result.x, state0, steps)
    plot(fine_times[::STRIDE], observed, fine_times, initial, fitted, truth, pathlib.Path(out))
    print(f"wrote {out}")
    return {"rates": rates, "true_rates": TRUE_RATES, "gradient_error": error, "result": result}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a shorter series, faster (what the tests use)")
    parser.add_argument("--out", default=IMAGE, type=pathlib.Path, help="where to write the PNG")
    arguments = parser.parse_args()
    main("quick" if arguments.quick else "full", arguments.out)
