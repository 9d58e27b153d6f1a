"""The few loops that run row by row, compiled (Numba).

Each sums a series or combines per-row terms in one pass, where NumPy would make a pass per
operation; the sums over the rows of BG/NBD and Gamma-Gamma share the rows out between
threads. They are imported only when a fit needs them, so that importing tenure stays
quick; compiled code is cached on disk (``cache=True``), so only the first use on a machine
pays for compiling.

Importing this module also readies Numba itself: it otherwise reads its registries of types
and implementations (importing its NumPy support) on the first call of any compiled function
in a process, about 0.1 s. Done at import, a first fit (or a service's first request) pays
only for loading its own cached code.
"""

from __future__ import annotations

import math

import numba
import numpy as np


def _ready_numba() -> None:
    try:
        from numba.core.registry import cpu_target
    except ImportError:  # a Numba laid out otherwise: its first call does this instead
        return
    cpu_target.typing_context.refresh()
    cpu_target.target_context.refresh()


_ready_numba()

__all__ = ["bg_rows", "gg_rows", "hyp2f1_unit_series", "mix_alive", "pnbd_dynamic_ahead",
           "pnbd_dynamic_rows", "pnbd_rows"]

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


# The rows are cut into this many blocks, each summed in order by one thread, and the
# blocks' sums are added in order: the same rows give the same totals to the last bit,
# however the threads are scheduled (a parallel reduction over single rows does not), so
# that a fit, and every score made from it, is the same run after run.
BLOCKS = 64


@numba.njit(cache=True, nogil=True, parallel=True)
def bg_rows(x, w, i_tx, i_T, i_x, log_tx, log_T, inv_tx, inv_T, log_odds_x, inv_denom_x, r,
            order):
    """The row-by-row part of ``BetaGeoTotals``: the weighted sums over the rows with a
    second term of log(1 + exp(d)) and of the products its gradient and Hessian are made
    of, in one pass (see ``BetaGeoTotals.__call__`` for what each sum is)."""
    n = len(x)
    blocks = min(BLOCKS, max(n, 1))
    partial = np.zeros((blocks, 17))
    for block in numba.prange(blocks):
        ll = g_log = g_inv = ws_total = g_denom = 0.0
        h_log_log = h_ws_inv = h_log_inv = h_ws_inv2 = h_inv_inv = 0.0
        v_log_total = h_log_denom = v_inv_total = h_inv_denom = v_total = h_denom2 = 0.0
        h_v_denom = 0.0
        for i in range(block * n // blocks, (block + 1) * n // blocks):
            a, b = i_tx[i], i_T[i]
            rx = r + x[i]
            delta_log = log_tx[a] - log_T[b]
            d = log_odds_x[i_x[i]] - rx * delta_log
            # log(1 + exp(d)) = max(d, 0) + log(1 + exp(-|d|)), which neither overflows nor
            # loses more than a rounding error when exp(-|d|) is tiny.
            e = np.exp(-abs(d))
            ll += w[i] * (max(d, 0.0) + np.log(1.0 + e))
            if order < 1:
                continue
            s = 1.0 / (1.0 + e) if d >= 0 else e / (1.0 + e)  # 1 / (1 + exp(-d))
            ws = w[i] * s
            delta_inv = inv_tx[a] - inv_T[b]
            rx_inv = rx * delta_inv
            inv_denom = inv_denom_x[i_x[i]]
            g_log += ws * delta_log
            g_inv += ws * rx_inv
            ws_total += ws
            g_denom += ws * inv_denom
            if order < 2:
                continue
            v = ws * (1.0 - s)
            v_log, v_inv = v * delta_log, v * rx_inv
            h_log_log += v_log * delta_log
            h_ws_inv += ws * delta_inv
            h_log_inv += v_log * rx_inv
            h_ws_inv2 += ws * rx * (inv_tx[a] * inv_tx[a] - inv_T[b] * inv_T[b])
            h_inv_inv += v_inv * rx_inv
            v_log_total += v_log
            h_log_denom += v_log * inv_denom
            v_inv_total += v_inv
            h_inv_denom += v_inv * inv_denom
            v_total += v
            h_denom2 += (ws + v) * inv_denom * inv_denom
            h_v_denom += v * inv_denom
        row = partial[block]
        row[0], row[1], row[2], row[3], row[4] = ll, g_log, g_inv, ws_total, g_denom
        row[5], row[6], row[7], row[8] = h_log_log, h_ws_inv, h_log_inv, h_ws_inv2
        row[9], row[10], row[11], row[12] = h_inv_inv, v_log_total, h_log_denom, v_inv_total
        row[13], row[14], row[15], row[16] = h_inv_denom, v_total, h_denom2, h_v_denom
    out = np.zeros(17)
    for block in range(blocks):
        out += partial[block]
    return out


@numba.njit(cache=True, nogil=True, parallel=True)
def gg_rows(wx, w, mx, gamma, order):
    """The row-by-row part of ``GammaGammaTotals``: the sums of log(gamma + m x) weighted by
    w x and by w, then (``order`` 1 and 2) the same of its inverse and squared inverse."""
    n = len(w)
    blocks = min(BLOCKS, max(n, 1))
    partial = np.zeros((blocks, 6))
    for block in numba.prange(blocks):
        wx_log = w_log = wx_inv = w_inv = wx_inv2 = w_inv2 = 0.0
        for i in range(block * n // blocks, (block + 1) * n // blocks):
            g = gamma + mx[i]
            log_g = np.log(g)
            wx_log += wx[i] * log_g
            w_log += w[i] * log_g
            if order < 1:
                continue
            inv = 1.0 / g
            wx_inv += wx[i] * inv
            w_inv += w[i] * inv
            if order < 2:
                continue
            inv2 = inv * inv
            wx_inv2 += wx[i] * inv2
            w_inv2 += w[i] * inv2
        row = partial[block]
        row[0], row[1], row[2], row[3], row[4], row[5] = (wx_log, w_log, wx_inv, w_inv,
                                                          wx_inv2, w_inv2)
    total = np.zeros(6)
    for block in range(blocks):
        total += partial[block]
    return total[0], total[1], total[2], total[3], total[4], total[5]


@numba.njit(cache=True, nogil=True, parallel=True)
def mix_alive(alive, pmf, codes):
    """Each row's purchase distribution averaged over parameter draws: for draw s, gone with
    chance 1 - alive[s, i] (no purchase), else the distribution given alive of the row's
    group, pmf[s, codes[i]]. Rows of a group share that distribution, so it is computed once
    per group and draw, and combined here row by row."""
    draws, rows = alive.shape
    width = pmf.shape[2]
    out = np.zeros((rows, width))
    for i in numba.prange(rows):
        g = codes[i]
        for s in range(draws):
            share = alive[s, i]
            for k in range(width):
                out[i, k] += share * pmf[s, g, k]
            out[i, 0] += 1.0 - share
        for k in range(width):
            out[i, k] /= draws
    return out


@numba.njit(cache=True, nogil=True)
def multipliers(zp_row, zd_row, gp, gd):
    """The purchase and dropout rate multipliers of one covariate period:
    exp(gp . z_p) and exp(gd . z_d)."""
    a = 0.0
    for q in range(len(gp)):
        a += gp[q] * zp_row[q]
    b = 0.0
    for q in range(len(gd)):
        b += gd[q] * zd_row[q]
    return np.exp(a), np.exp(b)


@numba.njit(cache=True, nogil=True, parallel=True)
def pnbd_dynamic_rows(x, tx, T, first, last, lo, hi, zp, zd, sums, r, alpha, s, beta, gp, gd,
                      nodes, weights):
    """Per customer, the Pareto/NBD log-likelihood with time-varying covariates and its
    gradient in (r, alpha, s, beta, purchase coefficients, dropout coefficients), and the
    share of the likelihood in which the customer left before T (see
    ``tenure.models._pareto_nbd_dynamic``). Customer i's covariate periods are rows
    first[i]..last[i]-1 of lo, hi (customer time), zp and zd."""
    n = len(x)
    P, D = zp.shape[1], zd.shape[1]
    width = 6 + P + D  # ll, four parameters, the coefficients, the dead share
    out = np.zeros((n, width))
    for i in numba.prange(n):
        k = r + x[i]
        A = 0.0
        B = 0.0
        dA = np.zeros(P)
        dB = np.zeros(D)
        # The reference point of the dead term: the cumulative rates at t_x.
        A_tx = -1.0
        B_tx = 0.0
        dead = 0.0
        dg = np.zeros(4 + P + D)
        for j in range(first[i], last[i]):
            start = lo[j]
            if start >= T[i]:
                break
            stop = min(hi[j], T[i])
            a, b = multipliers(zp[j], zd[j], gp, gd)
            if A_tx < 0 and stop >= tx[i]:
                span = tx[i] - start
                A_tx = A + a * span
                B_tx = B + b * span
            u0 = max(start, tx[i])
            if stop > u0:
                # The part of the period after t_x, in w = k log((alpha + A(tau)) / (alpha +
                # A(u0))): the purchase term is exp(-w) there, taken to w = 60 at most, in
                # panels short enough for Gauss-Legendre on what is left.
                A0 = A + a * (u0 - start)
                B0 = B + b * (u0 - start)
                A1 = A + a * (stop - start)
                B1 = B + b * (stop - start)
                span = min(k * (np.log(alpha + A1) - np.log(alpha + A0)), 60.0)
                panels = max(1, int(np.ceil(span / 4.0)),
                             int(np.ceil((s + 1.0) * (np.log(beta + B1) - np.log(beta + B0))
                                         / 2.0)))
                for m in range(len(nodes) * panels):
                    w_at = span * (m // len(nodes) + nodes[m % len(nodes)]) / panels
                    grown = alpha + A0
                    tau = u0 + grown * np.expm1(w_at / k) / a
                    At = A + a * (tau - start)
                    Bt = B + b * (tau - start)
                    g = b * np.exp(-k * (np.log(alpha + At) - np.log(alpha + A_tx))
                                   - (s + 1.0) * (np.log(beta + Bt) - np.log(beta + B_tx)))
                    # dtau = (alpha + A(tau)) / (k a) dw
                    gw = weights[m % len(nodes)] * span / panels * (alpha + At) / (k * a) * g
                    dead += gw
                    dg[0] += gw * -np.log(alpha + At)
                    dg[1] += gw * -k / (alpha + At)
                    dg[2] += gw * (1.0 / s - np.log(beta + Bt))
                    dg[3] += gw * -(s + 1.0) / (beta + Bt)
                    for q in range(P):
                        grown = dA[q] + a * zp[j, q] * (tau - start)
                        dg[4 + q] += gw * -k * grown / (alpha + At)
                    for q in range(D):
                        dg[4 + P + q] += gw * (zd[j, q] - (s + 1.0)
                                               * (dB[q] + b * zd[j, q] * (tau - start))
                                               / (beta + Bt))
            span = stop - start
            A += a * span
            B += b * span
            for q in range(P):
                dA[q] += a * zp[j, q] * span
            for q in range(D):
                dB[q] += b * zd[j, q] * span
        if A_tx < 0:
            A_tx, B_tx = A, B
        log_alive = -k * np.log(alpha + A) - s * np.log(beta + B)
        base = math.lgamma(k) - math.lgamma(r) + r * np.log(alpha) + s * np.log(beta)
        for q in range(P):
            base += gp[q] * sums[i, q]
        if dead > 0:
            log_dead = (np.log(s) - k * np.log(alpha + A_tx) - (s + 1.0) * np.log(beta + B_tx)
                        + np.log(dead))
            top = max(log_alive, log_dead)
            lse = top + np.log(np.exp(log_alive - top) + np.exp(log_dead - top))
            share = np.exp(log_dead - lse)
        else:
            lse = log_alive
            share = 0.0
        out[i, 0] = base + lse
        out[i, width - 1] = share
        alive = 1.0 - share
        inv = 1.0 / dead if dead > 0 else 0.0
        out[i, 1] = (math_digamma(k) - math_digamma(r) + np.log(alpha)
                     + alive * -np.log(alpha + A) + share * dg[0] * inv)
        out[i, 2] = r / alpha + alive * -k / (alpha + A) + share * dg[1] * inv
        out[i, 3] = np.log(beta) + alive * -np.log(beta + B) + share * dg[2] * inv
        out[i, 4] = s / beta + alive * -s / (beta + B) + share * dg[3] * inv
        for q in range(P):
            out[i, 5 + q] = (sums[i, q] + alive * -k * dA[q] / (alpha + A)
                             + share * dg[4 + q] * inv)
        for q in range(D):
            out[i, 5 + P + q] = (alive * -s * dB[q] / (beta + B)
                                 + share * dg[4 + P + q] * inv)
    return out


@numba.njit(cache=True, nogil=True, parallel=True)
def pnbd_dynamic_ahead(x, T, horizon, first, last, lo, hi, zp, zd, r, alpha, s, beta, gp, gd,
                       nodes, weights):
    """Per customer alive at T, E[purchases in (T, T + horizon]]: E[lambda] times the
    integral of the purchase-rate multiplier a(u) and the chance of being alive at u,
    ((beta + B(T)) / (beta + B(u)))^s; the last covariate period holds for ever."""
    n = len(x)
    out = np.zeros(n)
    for i in numba.prange(n):
        A = 0.0
        B = 0.0
        end = T[i] + horizon[i]
        A_T = 0.0
        B_T = -1.0
        total = 0.0
        for j in range(first[i], last[i]):
            start = lo[j]
            if start >= end:
                break
            stop = min(hi[j], end) if j < last[i] - 1 else end
            a, b = multipliers(zp[j], zd[j], gp, gd)
            if B_T < 0 and stop >= T[i]:
                A_T = A + a * (T[i] - start)
                B_T = B + b * (T[i] - start)
            u0 = max(start, T[i])
            if stop > u0:
                # Panels short enough that the chance of being alive changes by a factor of
                # e^0.5 at most across each.
                B0 = B + b * (u0 - start)
                B1 = B + b * (stop - start)
                panels = max(1, int(np.ceil(s * (np.log(beta + B1) - np.log(beta + B0)) / 0.5)))
                h = (stop - u0) / panels
                for m in range(len(nodes) * panels):
                    tau = u0 + h * (m // len(nodes) + nodes[m % len(nodes)])
                    Bt = B + b * (tau - start)
                    total += weights[m % len(nodes)] * h * a * np.exp(
                        s * (np.log(beta + B_T) - np.log(beta + Bt)))
            A += a * (stop - start)
            B += b * (stop - start)
        if B_T < 0:
            A_T = A
        out[i] = (r + x[i]) / (alpha + A_T) * total
    return out


@numba.njit(cache=True)
def math_digamma(v):
    # psi(v) by recurrence up to v >= 6, then the asymptotic series.
    result = 0.0
    while v < 6.0:
        result -= 1.0 / v
        v += 1.0
    inv = 1.0 / v
    inv2 = inv * inv
    return result + np.log(v) - 0.5 * inv - inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (
        1.0 / 252 - inv2 * (1.0 / 240 - inv2 / 132))))
