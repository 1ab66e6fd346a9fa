#!/usr/bin/python3
"""Reference values for tests/test_stats.c, computed independently of lift's C code.

Each case simulates per-unit data with numpy (seeded), hands lift only the sums (a
`liftctl stats` request), and computes the expected results here from the raw arrays:
Welch tests with scipy.stats.ttest_ind, variances and covariances with numpy, multiple
comparisons with statsmodels, SRM with scipy.stats.chisquare, Bayesian expected loss by
numerical integration, Student-t quantiles with mpmath at 50 digits (scipy 1.10's
t.isf is off by up to 4e-9 at df 31, more than the 1e-9 tolerance of the tests).

Regenerate with Debian's python3-scipy, python3-statsmodels and python3-mpmath:
    /usr/bin/python3 tests/ref/stats_ref.py > tests/ref/stats-ref.json
"""
import json
import math

import mpmath
import numpy as np
import scipy
import statsmodels
from scipy import integrate, optimize, stats
from statsmodels.stats.multitest import multipletests

mpmath.mp.dps = 50


def t_sf(t, df):
    """P(T > t), exact to 50 digits."""
    t, df = mpmath.mpf(t), mpmath.mpf(df)
    if t < 0:
        return 1 - t_sf(-t, df)
    return float(mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, df / (df + t * t),
                                regularized=True) / 2)


def t_isf(q, df):
    """t with P(T > t) = q, exact to 50 digits."""
    q, dfm = mpmath.mpf(q), mpmath.mpf(df)
    f = lambda t: mpmath.betainc(dfm / 2, mpmath.mpf(1) / 2, 0, dfm / (dfm + t * t),
                                 regularized=True) / 2 - q
    return float(mpmath.findroot(f, float(stats.t.isf(float(q), df))))


def welch_df(va, na, vb, nb):
    a, b = va / na, vb / nb
    return (a + b) ** 2 / (a * a / (na - 1) + b * b / (nb - 1))


def estimate(delta, se, df, alpha):
    half = t_isf(alpha / 2, df) * se
    return {"estimate": delta, "se": se, "ci": [delta - half, delta + half],
            "p_value": min(1.0, 2 * t_sf(abs(delta / se), df))}


def relative(ma, mb, va, na, vb, nb, df, alpha, delta=None, rel_a=None):
    """STATS.md relative lift; rel_a overrides the control's variance term (CUPED)."""
    delta = (mb - ma) if delta is None else delta
    rel_a = va * mb * mb / (ma * ma) if rel_a is None else rel_a
    se = math.sqrt(vb / (nb * ma * ma) + rel_a / (na * ma * ma))
    return estimate(delta / abs(ma), se, df, alpha)


def sums_mean(x):
    return {"n": len(x), "sum": float(np.sum(x)), "sum_sq": float(np.sum(x * x))}


rng = np.random.RandomState(20261121)
cases = []

# --- proportions: the DESIGN.md example, a 10% vs 12% test, and huge counts ------------
for name, (na, ca), (nb, cb), alpha in [
        ("proportion, the contract's example", (10000, 312), (10050, 360), 0.05),
        ("proportion, 10% vs 12% at alpha 0.01", (5000, 500), (5000, 600), 0.01),
        ("proportion, a billion shoppers per arm", (10**9, 31_000_000), (10**9, 31_100_000), 0.05)]:
    pa, pb = ca / na, cb / nb
    va, vb = pa * (1 - pa), pb * (1 - pb)
    df = welch_df(va, na, vb, nb)
    # scipy's own Welch test from summary statistics, as an independent check of p.
    t, p = stats.ttest_ind_from_stats(pb, math.sqrt(vb), nb, pa, math.sqrt(va), na,
                                      equal_var=False)
    ab = estimate(pb - pa, math.sqrt(va / na + vb / nb), df, alpha)
    assert abs(ab["p_value"] - p) <= 1e-9 * p, (ab["p_value"], p)
    cases.append({"name": name,
                  "request": {"alpha": alpha, "variants": ["control", "treatment"],
                              "metrics": [{"key": "conversion", "type": "proportion",
                                           "data": [{"n": na, "sum": ca}, {"n": nb, "sum": cb}]}]},
                  "expected": [{"df": df, "absolute": ab,
                                "relative": relative(pa, pb, va, na, vb, nb, df, alpha)}]})

# --- means: heavy-tailed revenue, three variants --------------------------------------
arms = [rng.lognormal(3.0, 1.2, 2000) * (rng.rand(2000) < 0.3),
        rng.lognormal(3.05, 1.2, 2100) * (rng.rand(2100) < 0.31),
        rng.lognormal(2.9, 1.3, 1900) * (rng.rand(1900) < 0.3)]
expected = []
for b in arms[1:]:
    a = arms[0]
    t, p = stats.ttest_ind(b, a, equal_var=False)
    va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
    df = welch_df(va, len(a), vb, len(b))
    ab = estimate(b.mean() - a.mean(), math.sqrt(va / len(a) + vb / len(b)), df, 0.05)
    assert abs(ab["p_value"] - p) <= 1e-9 * p
    expected.append({"df": df, "absolute": ab,
                     "relative": relative(a.mean(), b.mean(), va, len(a), vb, len(b), df, 0.05)})
cases.append({"name": "mean, heavy-tailed revenue, three variants",
              "request": {"variants": ["control", "recs_v1", "recs_v2"],
                          "metrics": [{"key": "revenue", "type": "mean",
                                       "data": [sums_mean(x) for x in arms]}]},
              "expected": expected})

# --- ratio: AOV = revenue / orders per shopper, delta method ---------------------------
def shoppers(n, rate, basket):
    orders = rng.poisson(rate, n) + 1  # shoppers with at least one order
    revenue = np.array([rng.lognormal(basket, 0.8, k).sum() for k in orders])
    return revenue, orders.astype(float)

ra, rb = shoppers(1500, 0.4, 3.6), shoppers(1600, 0.45, 3.65)
def ratio_moments(rev, orders):
    n = len(rev)
    mx, md = rev.mean(), orders.mean()
    c = np.cov(rev, orders, ddof=1)
    v = c[0, 0] / md**2 + c[1, 1] * mx**2 / md**4 - 2 * c[0, 1] * mx / md**3
    return rev.sum() / orders.sum(), v, n
(ma, va, na), (mb, vb, nb) = ratio_moments(*ra), ratio_moments(*rb)
df = welch_df(va, na, vb, nb)
def ratio_sums(rev, orders):
    return {"n": len(rev), "sum": float(rev.sum()), "sum_sq": float((rev * rev).sum()),
            "den_sum": float(orders.sum()), "den_sum_sq": float((orders * orders).sum()),
            "sum_x_den": float((rev * orders).sum())}
cases.append({"name": "ratio, average order value",
              "request": {"variants": ["control", "personalized"],
                          "metrics": [{"key": "aov", "type": "ratio",
                                       "data": [ratio_sums(*ra), ratio_sums(*rb)]}]},
              "expected": [{"df": df, "absolute": estimate(mb - ma, math.sqrt(va / na + vb / nb), df, 0.05),
                            "relative": relative(ma, mb, va, na, vb, nb, df, 0.05)}]})

# --- CUPED: revenue with a correlated pre-period ---------------------------------------
def with_pre(n, lift):
    z = rng.gamma(2.0, 20.0, n)
    x = 0.8 * z + rng.normal(10 * lift, 15, n) + 5
    return x, z
(xa, za), (xb, zb) = with_pre(3000, 0.0), with_pre(3100, 1.0)
xp, zp = np.concatenate([xa, xb]), np.concatenate([za, zb])
theta = np.cov(xp, zp, ddof=1)[0, 1] / np.var(zp, ddof=1)
def adjusted(x, z):
    y = x - theta * z  # the adjusted per-unit values; their sample variance is v_x + t^2 v_z - 2 t c
    return y.mean(), np.var(y, ddof=1)
(aa, vaa), (ab_, vab) = adjusted(xa, za), adjusted(xb, zb)
df = welch_df(vaa, len(xa), vab, len(xb))
ca = np.cov(xa, za, ddof=1)[0, 1]
rel_a = np.var(xa, ddof=1) * xb.mean()**2 / xa.mean()**2 - 2 * theta * ca * xb.mean() / xa.mean() \
    + theta**2 * np.var(za, ddof=1)
t_pre, p_pre = stats.ttest_ind(zb, za, equal_var=False)
def cuped_sums(x, z):
    s = sums_mean(x)
    s.update({"pre_sum": float(z.sum()), "pre_sum_sq": float((z * z).sum()),
              "sum_x_pre": float((x * z).sum())})
    return s
cases.append({"name": "mean with CUPED",
              "request": {"variants": ["control", "personalized"],
                          "metrics": [{"key": "revenue", "type": "mean", "cuped": True,
                                       "data": [cuped_sums(xa, za), cuped_sums(xb, zb)]}]},
              "expected": [{"df": df, "theta": theta, "pre_p_value": p_pre,
                            "absolute": estimate(ab_ - aa, math.sqrt(vaa / len(xa) + vab / len(xb)), df, 0.05),
                            "relative": relative(xa.mean(), xb.mean(), None, len(xa), vab, len(xb), df, 0.05,
                                                 delta=ab_ - aa, rel_a=rel_a)}]})

# --- sequential: always-valid intervals and p-values (STATS.md) ------------------------
def sequential(delta, se, n, alpha, tuning):
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning
    s2 = se * se * n
    half = math.sqrt(s2) * math.sqrt(2 * (n * rho2 + 1) / (n * n * rho2) *
                                     math.log(math.sqrt(n * rho2 + 1) / alpha))
    e = math.exp(rho2 * n * delta**2 / se**2 / (2 * (n * rho2 + 1))) / math.sqrt(n * rho2 + 1)
    return {"estimate": delta, "se": se, "ci": [delta - half, delta + half], "p_value": min(1, 1 / e)}
pa, pb, na, nb = 312 / 10000, 360 / 10050, 10000, 10050
va, vb = pa * (1 - pa), pb * (1 - pb)
se_abs = math.sqrt(va / na + vb / nb)
se_rel = math.sqrt(vb / (nb * pa**2) + va * pb**2 / (na * pa**4))
cases.append({"name": "sequential, N* = 5000",
              "request": {"sequential": {"tuning": 5000}, "variants": ["control", "treatment"],
                          "metrics": [{"key": "conversion", "type": "proportion",
                                       "data": [{"n": na, "sum": 312}, {"n": nb, "sum": 360}]}]},
              "expected": [{"absolute": sequential(pb - pa, se_abs, na + nb, 0.05, 5000),
                            "relative": sequential((pb - pa) / pa, se_rel, na + nb, 0.05, 5000)}]})

# --- SRM and the correction family -----------------------------------------------------
units, weights = [5000, 5500, 10100], [0.25, 0.25, 0.5]
chi2, p_srm = stats.chisquare(units, f_exp=np.array(weights) / sum(weights) * sum(units))
conv = [(5000, 400), (5500, 470), (10100, 780)]
metrics = [{"key": "conversion", "type": "proportion",
            "data": [{"n": n, "sum": c} for n, c in conv]},
           {"key": "clicks", "type": "proportion",
            "data": [{"n": 5000, "sum": 900}, {"n": 5500, "sum": 1060}, {"n": 10100, "sum": 1800}]}]
rel_p = []
for m in metrics:
    a = m["data"][0]
    for b in m["data"][1:]:
        pa, pb = a["sum"] / a["n"], b["sum"] / b["n"]
        va, vb = pa * (1 - pa), pb * (1 - pb)
        df = welch_df(va, a["n"], vb, b["n"])
        rel_p.append(relative(pa, pb, va, a["n"], vb, b["n"], df, 0.05)["p_value"])
for method, sm in [("holm", "holm"), ("bh", "fdr_bh")]:
    adj = multipletests(rel_p, method=sm)[1]
    cases.append({"name": f"SRM and {method} over 2 metrics x 2 treatments",
                  "request": {"correction": method, "variants": ["control", "a", "b"],
                              "weights": weights, "units": units, "metrics": metrics},
                  "srm": {"chi2": chi2, "p_value": p_srm, "flag": bool(p_srm < 0.001)},
                  "expected": [{"p_value_adjusted": float(x)} for x in adj]})

# Ties and a p-value of 1, straight through statsmodels.
family = [0.01, 0.04, 0.04, 0.03, 0.5, 1.0, 0.001, 0.02]
adjust = [{"method": m, "p": family, "adjusted": [float(x) for x in multipletests(family, method=sm)[1]]}
          for m, sm in [("holm", "holm"), ("bh", "fdr_bh")]]

# --- Bayesian view: chance to win and expected loss by numerical integration -----------
def bayes(mu, sd, lower=False):
    x_mu = -mu if lower else mu
    pdf = lambda x: stats.norm.pdf(x, x_mu, sd)
    lo, hi = x_mu - 40 * sd, x_mu + 40 * sd
    return {"chance_to_win": float(stats.norm.sf(0, x_mu, sd)),
            "risk_treatment": integrate.quad(lambda x: -x * pdf(x), lo, 0, epsabs=1e-14, epsrel=1e-12, limit=200)[0],
            "risk_control": integrate.quad(lambda x: x * pdf(x), 0, hi, epsabs=1e-14, epsrel=1e-12, limit=200)[0]}
bayes_cases = []
for est, se, prior, lower in [(0.05, 0.02, None, False), (0.05, 0.02, (0.0, 0.03), False),
                              (-0.01, 0.04, None, True), (0.002, 0.01, (0.01, 0.05), False)]:
    if prior:
        prec = 1 / se**2 + 1 / prior[1]**2
        mu, sd = (est / se**2 + prior[0] / prior[1]**2) / prec, math.sqrt(1 / prec)
    else:
        mu, sd = est, se
    b = bayes(mu, sd, lower)
    b.update({"estimate": est, "se": se, "prior": prior, "lower_is_better": lower,
              "post_mean": mu, "post_sd": sd})
    bayes_cases.append(b)

# --- planning ------------------------------------------------------------------------
def n_needed(m, va, vb, mde, alpha, power):
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return z * z * (va + vb) / (mde * m) ** 2
power = []
for p, mde, alpha, pw in [(0.05, 0.10, 0.05, 0.8), (0.0312, 0.05, 0.05, 0.9), (0.3, -0.1, 0.01, 0.8)]:
    pb = p * (1 + mde)
    n = math.ceil(n_needed(p, p * (1 - p), pb * (1 - pb), mde, alpha, pw))
    # MDE reachable with 20000 per arm: solve the same formula for the effect.
    f = lambda d: n_needed(p, p * (1 - p), p * (1 + d) * (1 - p * (1 + d)), d, alpha, pw) - 20000
    power.append({"proportion": True, "baseline": p, "mde": mde, "alpha": alpha, "power": pw,
                  "n": n, "mde_at_20000": optimize.brentq(f, 1e-6, 1 / p - 1 - 1e-9, xtol=1e-15)})
for m, sd, mde in [(52.0, 140.0, 0.05), (3.2, 2.5, 0.02)]:
    n = math.ceil(n_needed(m, sd * sd, sd * sd, mde, 0.05, 0.8))
    z = stats.norm.ppf(0.975) + stats.norm.ppf(0.8)
    power.append({"proportion": False, "baseline": m, "sd": sd, "mde": mde, "alpha": 0.05,
                  "power": 0.8, "n": n, "mde_at_20000": z * math.sqrt(2 * sd * sd / 20000) / m})

# --- Student t at awkward degrees of freedom -----------------------------------------
tdist = [{"t": t, "df": df, "sf": t_sf(t, df)} for t, df in
         [(0.3, 3), (1.96, 31), (2.5, 31), (4.0, 31), (6.0, 200), (6.0, 5e4), (2.0, 1e5),
          (4.0, 3e5), (9.0, 2e6), (20.0, 5e6), (2.5, 1e7), (1.0, 7.5e7), (3.0, 1e9),
          (0.01, 1e6)]]
tquant = [{"q": q, "df": df, "t": t_isf(q, df)} for q, df in
          [(0.025, 31), (0.05, 31), (0.005, 12.5), (0.025, 1e5), (0.025, 3e7), (0.025, 1e9),
           (0.4, 4)]]

print(json.dumps({"generated_by": f"tests/ref/stats_ref.py (numpy {np.__version__}, "
                                  f"scipy {scipy.__version__}, statsmodels {statsmodels.__version__}, "
                                  f"mpmath {mpmath.__version__})",
                  "cases": cases, "adjust": adjust, "bayes": bayes_cases, "power": power,
                  "tdist": tdist, "tquantile": tquant}, indent=1))
