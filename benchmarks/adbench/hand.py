"""ADBench's hand tracking, simple variant: a skinned hand mesh posed by 26 angles, against observed points.

Formulas after ADBench (src/python/modules/PyTorch/hand_objective.py); the objective is the sum of squares of
the point errors. ADBench reads a hand model from files; here the model is generated: 22 bones (a wrist, a
palm-like root and five fingers of four bones, each bone's parent before it), random rigid base transforms,
vertices skinned to bones with normalized random weights, and observed points near the corresponding vertices.
"""

import numpy as np

WRT = 0
BONES = 22
SIZES = {"small": (30, 10), "medium": (500, 200)}  # (vertices, points)


def to_pose_params(theta, nbones):
    pose_params = np.zeros((nbones + 3, 3))
    pose_params[0, :] = theta[0:3]
    pose_params[1, :] = 1.0
    pose_params[2, :] = theta[3:6]
    i_theta = 6
    i_pose_params = 5
    for i_finger in range(5):
        for i in [1, 2, 3]:
            pose_params[i_pose_params, 0] = theta[i_theta]
            i_theta += 1
            if i == 1:
                pose_params[i_pose_params, 1] = theta[i_theta]
                i_theta += 1
            i_pose_params += 1
        i_pose_params += 1
    return pose_params


def euler_angles_to_rotation_matrix(xzy):
    tx, ty, tz = xzy[0], xzy[2], xzy[1]
    rx = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(tx), -np.sin(tx)], [0.0, np.sin(tx), np.cos(tx)]])
    ry = np.array([[np.cos(ty), 0.0, -np.sin(ty)], [0.0, 1.0, 0.0], [np.sin(ty), 0.0, np.cos(ty)]])
    rz = np.array([[np.cos(tz), -np.sin(tz), 0.0], [np.sin(tz), np.cos(tz), 0.0], [0.0, 0.0, 1.0]])
    return rz @ ry @ rx


def get_posed_relatives(pose_params, base_relatives):
    relatives = []
    for i in range(base_relatives.shape[0]):
        tr = np.eye(4)
        tr[:3, :3] = euler_angles_to_rotation_matrix(pose_params[i + 3])
        relatives.append(base_relatives[i] @ tr)
    return relatives


def relatives_to_absolutes(relatives, parents):
    absolutes = []
    for i in range(len(relatives)):
        if parents[i] == -1:
            absolutes.append(relatives[i])
        else:
            absolutes.append(absolutes[parents[i]] @ relatives[i])
    return absolutes


def angle_axis_to_rotation_matrix(angle_axis):
    n = np.sqrt(np.sum(angle_axis**2))
    if n < 0.0001:
        return np.eye(3)
    x, y, z = angle_axis / n
    s, c = np.sin(n), np.cos(n)
    return np.array(
        [
            [x * x + (1 - x * x) * c, x * y * (1 - c) - z * s, x * z * (1 - c) + y * s],
            [x * y * (1 - c) + z * s, y * y + (1 - y * y) * c, y * z * (1 - c) - x * s],
            [x * z * (1 - c) - y * s, z * y * (1 - c) + x * s, z * z + (1 - z * z) * c],
        ]
    )


def apply_global_transform(pose_params, positions):
    rotation = angle_axis_to_rotation_matrix(pose_params[0])
    rotation *= pose_params[1]
    return positions @ rotation.T + pose_params[2]


def get_skinned_vertex_positions(pose_params, base_relatives, parents, inverse_base_absolutes, base_positions, weights):
    relatives = get_posed_relatives(pose_params, base_relatives)
    absolutes = relatives_to_absolutes(relatives, parents)
    positions = np.zeros((base_positions.shape[0], 3))
    for i in range(len(absolutes)):
        transform = absolutes[i] @ inverse_base_absolutes[i]
        positions += weights[:, i : i + 1] * (base_positions @ transform.T)[:, :3]
    return apply_global_transform(pose_params, positions)


def objective(theta, parents, base_relatives, inverse_base_absolutes, base_positions, weights, points, correspondences):
    pose_params = to_pose_params(theta, base_relatives.shape[0])
    vertices = get_skinned_vertex_positions(
        pose_params, base_relatives, parents, inverse_base_absolutes, base_positions, weights
    )
    err = points - vertices[correspondences]
    return np.sum(err**2)


def _rigid(rng):
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    transform = np.eye(4)
    transform[:3, :3] = q
    transform[:3, 3] = rng.normal(size=3)
    return transform


def inputs(size, rng):
    nverts, npoints = SIZES[size]
    parents = np.array([-1, 0] + [1 if bone % 4 == 2 else bone - 1 for bone in range(2, BONES)])
    base_relatives = np.stack([_rigid(rng) for _ in range(BONES)])
    inverse_base_absolutes = np.stack([np.linalg.inv(_rigid(rng)) for _ in range(BONES)])
    base_positions = np.concatenate([rng.normal(size=(nverts, 3)), np.ones((nverts, 1))], axis=1)
    weights = rng.uniform(size=(nverts, BONES))
    weights /= weights.sum(axis=1, keepdims=True)
    correspondences = rng.integers(0, nverts, size=npoints)
    points = base_positions[correspondences, :3] + 0.1 * rng.normal(size=(npoints, 3))
    theta = 0.3 * rng.normal(size=26)
    return theta, parents, base_relatives, inverse_base_absolutes, base_positions, weights, points, correspondences
