"""The few loops that run row by row, compiled (Numba).

Each sums a series or combines per-row terms in one pass, where NumPy would make a pass per
operation. They are imported only when a fit needs them, so that importing tenure stays
quick; compiled code is cached on disk (``cache=True``), so only the first use on a machine
pays for compiling.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["hyp2f1_unit_series", "pnbd_rows"]

# A series still short of converging after this many terms is cut there.
MAX_TERMS = 5000


@numba.njit(cache=True, nogil=True)
def hyp2f1_unit_series(b, c, z, grad):
    """log 2F1(1, b; c; z) per row and, with ``grad``, its derivatives in b, c and z
    (see ``tenure.models._special.log_hyp2f1_unit``)."""
    # A loop per row: each row sums only the terms it needs, in one pass over its own
    # numbers, with the derivative sums carried along.
    out = np.zeros((4 if grad else 1, len(z)))
    for i in range(len(z)):
        bi, ci, zi = b[i], c[i], z[i]
        term, total = 1.0, 1.0
        acc_b, acc_c, acc_z, sum_b, sum_c = 0.0, 0.0, 0.0, 0.0, 0.0
        if zi > 0:
            # The tail after a term is below term * z / (1 - z): stop once that is
            # negligible beside the sum.
            stop = 1e-17 * (1.0 - zi) / zi
            for n in range(MAX_TERMS):
                inv_b, inv_c = 1.0 / (bi + n), 1.0 / (ci + n)
                term *= (bi + n) * inv_c * zi
                total += term
                if grad:
                    sum_b += inv_b
                    sum_c += inv_c
                    acc_b += term * sum_b
                    acc_c -= term * sum_c
                    acc_z += term * (n + 1)
                if term <= stop * total:
                    break
        out[0, i] = np.log(total)
        if grad:
            out[1, i] = acc_b / total
            out[2, i] = acc_c / total
            out[3, i] = acc_z / (total * zi) if zi > 0 else 0.0
    return out


@numba.njit(cache=True, nogil=True)
def pnbd_rows(x, T, w, i_tx, i_T, lg_tx, g_tx, lg_T, g_T, r, alpha, s, beta):
    """The row-by-row part of ``ParetoNBDTotals``: the weighted sum of log(alive + dead)
    and its gradient, from the tails of each row's (x, t_x) and (x, T) pairs."""
    # Per row: log of alive + dead, the dead term being s (G(t_x) - G(T)) from the tails.
    out = np.zeros(5)
    log_s = np.log(s)
    for i in range(len(x)):
        la, lb = np.log(alpha + T[i]), np.log(beta + T[i])
        log_alive = -(r + x[i]) * la - s * lb
        a, b = i_tx[i], i_T[i]
        ratio = np.exp(min(lg_T[b] - lg_tx[a], 0.0))
        if ratio < 1.0:
            log_dead = log_s + lg_tx[a] + np.log1p(-ratio)
            top = max(log_alive, log_dead)
            lse = top + np.log(np.exp(log_alive - top) + np.exp(log_dead - top))
        else:
            lse = log_alive
        out[0] += w[i] * lse
        w_alive = np.exp(log_alive - lse)
        w_dead = 1.0 - w_alive
        # d log(G(t_x) - G(T)) for each parameter, weighted by the dead share.
        d_r = d_alpha = d_s = d_beta = 0.0
        if ratio < 1.0:
            scale = w_dead / (1.0 - ratio)
            d_r = (g_tx[0, a] - ratio * g_T[0, b]) * scale
            d_alpha = (g_tx[1, a] - ratio * g_T[1, b]) * scale
            d_s = (g_tx[2, a] - ratio * g_T[2, b]) * scale
            d_beta = (g_tx[3, a] - ratio * g_T[3, b]) * scale
        out[1] += w[i] * (-w_alive * la + d_r)
        out[2] += w[i] * (-w_alive * (r + x[i]) / (alpha + T[i]) + d_alpha)
        out[3] += w[i] * (-w_alive * lb + w_dead / s + d_s)
        out[4] += w[i] * (-w_alive * s / (beta + T[i]) + d_beta)
    return out
