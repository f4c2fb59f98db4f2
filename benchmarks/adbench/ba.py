"""ADBench's bundle adjustment: reprojection errors (Rodrigues rotation, radial distortion) and weight errors.

Formulas after ADBench (tools/Autograd/Autograd_ba.py), one observation at a time; the objective is the
sum of squares of both error vectors. Inputs after ADBench's BA files (ba_io.read_ba_instance): observation
i sees camera i % n and point i % m; the values are ADBench's ba1 camera, point, weight and feature,
each entry perturbed by the generator so the entries differ.
"""

import numpy as np

WRT = (0, 1, 2)
SIZES = {"small": (3, 8, 20), "medium": (20, 400, 2000)}  # (cameras, points, observations)
ONE_CAMERA = [-0.758453, -1.109613, -0.845551, 34.556073, 39.676747, 53.881673, 419.194514, 5.864426, -8.518870]
ONE_CAMERA += [0.087812, 0.002739]
ONE_POINT = [7.203245, 0.001144, 3.023326]
ONE_FEATURE = [271.760969, 834.209256]


def rodrigues_rotate_point(rot, x):
    sqtheta = np.sum(rot**2)
    if sqtheta != 0.0:
        theta = np.sqrt(sqtheta)
        costheta = np.cos(theta)
        sintheta = np.sin(theta)
        w = rot / theta
        w_cross_x = np.cross(w, x)
        tmp = np.dot(w, x) * (1.0 - costheta)
        return x * costheta + w_cross_x * sintheta + w * tmp
    return x + np.cross(rot, x)


def radial_distort(rad_params, proj):
    rsq = np.sum(proj**2)
    scale = 1.0 + rad_params[0] * rsq + rad_params[1] * rsq * rsq
    return proj * scale


def project(cam, x):
    xcam = rodrigues_rotate_point(cam[0:3], x - cam[3:6])
    distorted = radial_distort(cam[9:11], xcam[0:2] / xcam[2])
    return distorted * cam[6] + cam[7:9]


def objective(cams, points, w, obs, feats):
    p = obs.shape[0]
    reproj_err = np.empty((p, 2))
    for i in range(p):
        reproj_err[i] = w[i] * (project(cams[obs[i, 0]], points[obs[i, 1]]) - feats[i])
    w_err = 1.0 - w**2
    return np.sum(reproj_err**2) + np.sum(w_err**2)


def inputs(size, rng):
    n, m, p = SIZES[size]
    cams = np.array(ONE_CAMERA) * (1.0 + 0.05 * rng.normal(size=(n, 11)))
    points = np.array(ONE_POINT) + rng.normal(size=(m, 3))
    w = 0.417022 + 0.1 * rng.normal(size=p)
    feats = np.array(ONE_FEATURE) + rng.normal(size=(p, 2))
    obs = np.stack([np.arange(p) % n, np.arange(p) % m], axis=1)
    return cams, points, w, obs, feats
