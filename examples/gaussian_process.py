"""Fit a Gaussian process's kernel hyperparameters by Newton's method, with s2sad's gradient and Hessian.

    python examples/gaussian_process.py            # writes examples/images/gaussian_process.png
    python examples/gaussian_process.py --quick    # fewer data points, faster

The negative log marginal likelihood of GP regression with a squared-exponential kernel, in the
log length scale, log signal variance and log noise variance, is minimized by scipy's trust-region
Newton-CG (``method="trust-ncg"``) with ``jac=s2sad.grad(...)`` and ``hessp=s2sad.hessp(...)``:
Hessian-vector products that s2sad generates by differentiating its own forward-mode code.
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

IMAGE = pathlib.Path(__file__).parent / "images" / "gaussian_process.png"
NOISE_STD = 0.2  # of the synthetic data


def kernel(x1, x2, length, variance):
    """The squared-exponential covariance between the points of x1 and those of x2."""
    return variance * np.exp(-0.5 * (x1[:, None] - x2[None, :]) ** 2 / length**2)


def negative_log_likelihood(log_params, x, y):
    """-log p(y | x, params) of GP regression; params = (length scale, signal variance, noise variance).

    Written with np.linalg.solve and slogdet: the Cholesky form (Rasmussen & Williams, Algorithm 2.1)
    has a gradient in s2sad, but no Hessian (s2sad refuses second derivatives through cholesky).
    """
    length, variance, noise = np.exp(log_params)
    covariance = kernel(x, x, length, variance) + noise * np.eye(x.shape[0])
    alpha = np.linalg.solve(covariance, y)
    sign, log_determinant = np.linalg.slogdet(covariance)
    return 0.5 * y @ alpha + 0.5 * log_determinant + 0.5 * x.shape[0] * np.log(2.0 * np.pi)


def posterior(log_params, x, y, x_new):
    """The posterior mean and standard deviation of f at x_new (not differentiated: any numpy will do)."""
    length, variance, noise = np.exp(log_params)
    factor = np.linalg.cholesky(kernel(x, x, length, variance) + noise * np.eye(x.shape[0]))
    cross = kernel(x, x_new, length, variance)
    alpha = np.linalg.solve(factor.T, np.linalg.solve(factor, y))
    projected = np.linalg.solve(factor, cross)
    std = np.sqrt(np.maximum(variance - np.sum(projected**2, axis=0), 0.0))
    return cross.T @ alpha, std


def check_hessian(log_params, x, y):
    """The largest relative differences of the gradient and the Hessian from central finite differences."""
    gradient = s2sad.grad(negative_log_likelihood)(log_params, x, y)
    numeric = finite_differences.gradient(lambda trial: negative_log_likelihood(trial, x, y), log_params)
    hessian = s2sad.hessian(negative_log_likelihood)(log_params, x, y)
    gradient_of = s2sad.grad(negative_log_likelihood)
    numeric_hessian = np.array(
        [finite_differences.gradient(lambda trial: gradient_of(trial, x, y)[i], log_params) for i in range(3)]
    )
    return (
        float(np.max(np.abs(gradient - numeric)) / np.max(np.abs(numeric))),
        float(np.max(np.abs(hessian - numeric_hessian)) / np.max(np.abs(numeric_hessian))),
    )


def plot(x, y, x_new, truth, mean, std, params, out):
    figure, axes = plt.subplots(figsize=(8, 4.5))
    axes.fill_between(x_new, mean - 2 * std, mean + 2 * std, color="tab:blue", alpha=0.2, label="posterior ±2σ")
    axes.plot(x_new, mean, color="tab:blue", linewidth=2, label="posterior mean")
    axes.plot(x_new, truth, ":", color="black", label="true function")
    axes.plot(x, y, "o", color="tab:orange", markersize=5, markeredgecolor="black", label="data")
    length, variance, noise = params
    axes.set(
        title=f"GP regression fitted by trust-ncg: ℓ = {length:.2f}, σ² = {variance:.2f}, "
        f"noise σ = {np.sqrt(noise):.2f}",
        xlabel="x",
        ylabel="y",
    )
    axes.legend(fontsize=8, loc="lower left")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=80)
    plt.close(figure)


def truth_at(x):
    return np.sin(x) + 0.5 * np.sin(2.5 * x)


def main(size="full", out=IMAGE):
    """Make data, check the derivatives once, fit, plot; returns the fit and the checks."""
    n = 40 if size == "full" else 15
    rng = np.random.default_rng(2)
    x = np.sort(rng.uniform(0.0, 10.0, n))
    y = truth_at(x) + NOISE_STD * rng.normal(size=n)
    start = np.zeros(3)  # length scale, variance and noise variance all 1

    gradient_error, hessian_error = check_hessian(start, x, y)
    print(f"vs central finite differences: gradient {gradient_error:.1e}, Hessian {hessian_error:.1e} (relative)")

    result = minimize(
        negative_log_likelihood,
        start,
        args=(x, y),
        jac=s2sad.grad(negative_log_likelihood),
        hessp=s2sad.hessp(negative_log_likelihood),  # scipy calls hessp(log_params, p, x, y)
        method="trust-ncg",
    )
    params = np.exp(result.x)
    start_value = negative_log_likelihood(start, x, y)
    print(f"negative log likelihood {start_value:.2f} -> {result.fun:.2f} in {result.nit} Newton iterations")
    print(f"length scale {params[0]:.3f}, signal variance {params[1]:.3f}, noise std {np.sqrt(params[2]):.3f}")

    x_new = np.linspace(-0.5, 10.5, 300)
    mean, std = posterior(result.x, x, y, x_new)
    plot(x, y, x_new, truth_at(x_new), mean, std, params, pathlib.Path(out))
    print(f"wrote {out}")
    return {
        "result": result,
        "params": params,
        "start_value": start_value,
        "gradient_error": gradient_error,
        "hessian_error": hessian_error,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer data points, faster (what the tests use)")
    parser.add_argument("--out", default=IMAGE, type=pathlib.Path, help="where to write the PNG")
    arguments = parser.parse_args()
    main("quick" if arguments.quick else "full", arguments.out)
